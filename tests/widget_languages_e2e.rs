//! The widget in Chinese and Arabic, and on a right-to-left storefront, in headless Chromium:
//! the loader's button, the widget's own direction (never the page's), mirrored layout, messages
//! that set their own direction, and the bot answering in the shopper's language.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{assert_accessible, eventually, in_widget, widget_js, with_browser, with_browser_in};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::Client;

/// The bot's messages shown, in order.
async fn bot_said(client: &Client) -> Result<Vec<String>> {
    let value = widget_js(
        client,
        "return [...root.querySelectorAll('.pl-message.automatic .pl-bubble')].map(b => b.textContent);",
    )
    .await?;
    Ok(serde_json::from_value(value)?)
}

/// Opens the chat through the launcher, whatever its label, and waits for the composer.
async fn open_any_language(client: &Client) -> Result<()> {
    eventually("the launcher placed", || async {
        let placed = widget_js(
            client,
            "const b = root.querySelector('button.pl-launch'); \
             return !!b && getComputedStyle(b).position === 'fixed' && (b.click(), true);",
        )
        .await?;
        Ok((placed == true).then_some(()))
    })
    .await?;
    in_widget(client, ".pl-composer textarea").await?;
    eventually("the panel open", || async {
        let open =
            widget_js(client, "const p = root.querySelector('.pl-panel:not(.pl-frame)'); return !!p && !p.hidden;")
                .await?;
        Ok((open == true).then_some(()))
    })
    .await
}

async fn send(client: &Client, text: &str) -> Result<()> {
    let message = in_widget(client, ".pl-composer textarea").await?;
    message.send_keys(&format!("{text}{}", char::from(Key::Enter))).await?;
    Ok(())
}

/// The accessible name of the launcher the loader drew.
async fn launcher_label(client: &Client) -> Result<String> {
    eventually("the loader's button", || async {
        let label =
            widget_js(client, "const b = root.querySelector('button.pl-launch'); return b && b.ariaLabel;").await?;
        Ok(label.as_str().map(str::to_owned))
    })
    .await
}

/// `[direction, lang]` of the widget's root.
async fn root_direction(client: &Client) -> Result<serde_json::Value> {
    widget_js(
        client,
        "const r = root.querySelector('.pl-root:not(.pl-frame)'); return [getComputedStyle(r).direction, r.lang];",
    )
    .await
}

#[tokio::test]
async fn a_chinese_shopper_sees_chinese_and_hears_the_bot_in_chinese_even_for_an_email() {
    browser::require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser_in("zh-CN", |client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        let label = launcher_label(&client).await?;
        ensure!(label == "打开聊天", "the loader's button speaks English to a Chinese shopper: {label}");
        open_any_language(&client).await?;
        ensure!(root_direction(&client).await? == serde_json::json!(["ltr", "zh-CN"]));
        // Nobody is online: an email address alone (Latin letters) still gets Chinese.
        send(&client, "li.wei@example.com").await?;
        let asked =
            eventually("the bot's away message", || async { Ok(bot_said(&client).await?.first().cloned()) }).await?;
        ensure!(asked.contains("目前没有客服在线"), "not in Chinese: {asked}");
        send(&client, "li.wei@example.com").await?;
        let thanks = eventually("the bot's thanks", || async { Ok(bot_said(&client).await?.get(1).cloned()) }).await?;
        ensure!(thanks.starts_with("谢谢"), "the email was confirmed in English: {thanks}");
        let subtitle = in_widget(&client, ".pl-subtitle").await?.text().await?;
        ensure!(subtitle.starts_with("客服暂时不在线"), "{subtitle}");
        assert_accessible(&client, "#parley-chat", "the Chinese widget").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn on_a_right_to_left_storefront_an_english_widget_stays_left_to_right() {
    browser::require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/ar.html")).await?;
        let page = client.execute("return getComputedStyle(document.body).direction;", vec![]).await?;
        ensure!(page == "rtl", "the storefront is not right to left, the test proves nothing");
        open_any_language(&client).await?;
        ensure!(root_direction(&client).await? == serde_json::json!(["ltr", "en"]));
        send(&client, "Is the shirt in stock?").await?;
        send(&client, "هل القميص متوفر بمقاس كبير؟").await?;
        let sides = eventually("both messages", || async {
            let v = widget_js(
                &client,
                "const p = root.querySelector('.pl-panel:not(.pl-frame)').getBoundingClientRect(); \
                 const mine = [...root.querySelectorAll('.pl-message.mine .pl-bubble')]; \
                 if (mine.length < 2) return null; \
                 return mine.map(b => [b.getBoundingClientRect().right - p.right, getComputedStyle(b).direction]);",
            )
            .await?;
            Ok((!v.is_null()).then_some(v))
        })
        .await?;
        // The shopper's messages sit on the right; the Arabic one reads right to left.
        ensure!(sides[0][0].as_f64().unwrap_or(-99.0) > -30.0, "own messages not on the right: {sides}");
        ensure!(sides[0][1] == "ltr" && sides[1][1] == "rtl", "messages do not set their own direction: {sides}");
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn an_arabic_shopper_gets_a_mirrored_widget_on_a_phone() {
    browser::require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser_in("ar", |client| async move {
        client.set_window_size(390, 844).await?;
        client.goto(&format!("{base}/demo/")).await?;
        let label = launcher_label(&client).await?;
        ensure!(label == "فتح المحادثة", "{label}");
        open_any_language(&client).await?;
        ensure!(root_direction(&client).await? == serde_json::json!(["rtl", "ar"]));
        send(&client, "مرحبا").await?;
        let layout = eventually("the mirrored layout", || async {
            let v = widget_js(
                &client,
                "const p = root.querySelector('.pl-panel:not(.pl-frame)').getBoundingClientRect(); \
                 const send = root.querySelector('.pl-send').getBoundingClientRect(); \
                 const box = root.querySelector('.pl-composer textarea').getBoundingClientRect(); \
                 const mine = root.querySelector('.pl-message.mine .pl-bubble'); \
                 if (!mine) return null; const m = mine.getBoundingClientRect(); \
                 return [send.right <= box.left + 1, m.left - p.left, p.width - document.documentElement.clientWidth, \
                         root.querySelector('.pl-send').textContent, root.querySelector('.pl-search').placeholder];",
            )
            .await?;
            Ok((!v.is_null()).then_some(v))
        })
        .await?;
        ensure!(layout[0] == true, "the send button is not at the start (left) of the box: {layout}");
        ensure!(layout[1].as_f64().unwrap_or(99.0) < 30.0, "own messages are not on the left: {layout}");
        ensure!(layout[2].as_f64() == Some(0.0), "the panel does not fill the phone's width: {layout}");
        ensure!(layout[3] == "إرسال" && layout[4] == "ابحث في مقالات المساعدة…", "{layout}");
        assert_accessible(&client, "#parley-chat", "the Arabic widget").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
