//! The widget on a phone, in headless Chromium emulating one (390×844 touch screen, 4× CPU
//! slowdown): a finger tap opens the panel, which fills the screen with its message box in view
//! and raises no keyboard until the shopper taps the box.

mod browser;
mod common;

use anyhow::{ensure, Context};
use browser::{assert_accessible, cdp, eventually, in_widget, require_built_widget, widget_js, with_browser};
use common::TestRelay;

#[tokio::test]
async fn a_finger_tap_opens_the_panel_on_a_phone_without_raising_the_keyboard() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        cdp::phone(&client, 4.0).await?;
        client.goto(&format!("{base}/demo/")).await?;
        let centre = eventually("the launcher on screen", || async {
            let found = widget_js(
                &client,
                "const b = root.querySelector('button.pl-launch').getBoundingClientRect(); \
                 return b.width ? [b.x + b.width / 2, b.y + b.height / 2] : null;",
            )
            .await?;
            Ok(serde_json::from_value::<Option<(f64, f64)>>(found)?)
        })
        .await?;
        let coarse = client.execute("return matchMedia('(pointer: coarse)').matches;", vec![]).await?;
        ensure!(coarse == true, "the emulated phone has no touch screen");
        cdp::tap(&client, centre.0, centre.1).await?;
        in_widget(&client, "button.pl-launch[aria-expanded='true']").await?;
        in_widget(&client, ".pl-panel textarea").await?;
        let state = widget_js(
            &client,
            "const p = root.querySelector('.pl-panel').getBoundingClientRect(); \
             const c = root.querySelector('.pl-composer').getBoundingClientRect(); \
             const a = root.activeElement; \
             return { typing: !!a && a.tagName === 'TEXTAREA', panel: [p.left, p.top, p.right, p.bottom], \
                      composer: [c.top, c.bottom], screen: [innerWidth, innerHeight] };",
        )
        .await?;
        ensure!(
            state["typing"] == false,
            "the message box took focus on a touch screen (the keyboard would cover the panel): {state}"
        );
        let panel: Vec<f64> = serde_json::from_value(state["panel"].clone()).context("panel box")?;
        let composer: Vec<f64> = serde_json::from_value(state["composer"].clone()).context("composer box")?;
        let screen: Vec<f64> = serde_json::from_value(state["screen"].clone()).context("screen size")?;
        ensure!(
            panel[0] >= 0.0 && panel[1] >= 0.0 && panel[2] <= screen[0] && panel[3] <= screen[1],
            "the panel spills off the phone's screen: {state}"
        );
        ensure!(composer[0] >= panel[1] && composer[1] <= panel[3], "the message box is outside the panel: {state}");
        assert_accessible(&client, "#parley-chat", "the panel open on a phone").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
