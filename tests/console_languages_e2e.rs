//! The console in Chinese and in Arabic (right to left), in headless Chromium, with the browser
//! preferring each language: every label, tab and time in the agent's language, and axe-core
//! clean in it.

mod browser;
mod common;

use anyhow::ensure;
use browser::console::{find, inbox_ready, labelled_input, listed_with, open_tab, require_built_console};
use browser::{assert_accessible, save_screenshot, with_browser_in};
use common::TestRelay;
use parley::VisitorClient;

#[tokio::test]
async fn the_console_speaks_chinese() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Lina").await;
    let base = t.base.clone();
    with_browser_in("zh-CN", |client| async move {
        client.goto(&format!("{base}/console/")).await?;
        find(&client, &labelled_input("邮箱")).await?.send_keys(&email).await?;
        find(&client, &labelled_input("密码")).await?.send_keys("not-the-password").await?;
        find(&client, "//button[normalize-space()='登录']").await?.click().await?;
        let alert = find(&client, "//p[@role='alert']").await?.text().await?;
        ensure!(alert == "邮箱或密码错误。", "the refusal reads {alert:?}");
        assert_accessible(&client, "body", "the Chinese sign-in page").await?;
        client.refresh().await?;
        find(&client, &labelled_input("邮箱")).await?.send_keys(&email).await?;
        find(&client, &labelled_input("密码")).await?.send_keys(&password).await?;
        find(&client, "//button[normalize-space()='登录']").await?.click().await?;
        inbox_ready(&client).await?;
        let page =
            client.execute("return [document.documentElement.lang, document.documentElement.dir];", vec![]).await?;
        ensure!(page == serde_json::json!(["zh-CN", "ltr"]), "the page is {page}");

        // A waiting shopper comes to this (online) agent, with the wait in Chinese units.
        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        let question = "这件衬衫有大码吗？";
        shopper.send("q1", question).await?;
        open_tab(&client, "我的").await?;
        let row = listed_with(&client, question).await?;
        let wait = find(&client, "//ul[@class='conversations']//span[contains(@class, 'wait')]").await?.text().await?;
        ensure!(wait.ends_with(" 秒") || wait.ends_with(" 分钟"), "the wait reads {wait:?}");
        row.click().await?;
        find(&client, &format!("//div[@role='log']//p[normalize-space()='{question}']")).await?;
        find(&client, "//textarea[@aria-label='回复']").await?;
        assert_accessible(&client, "body", "the Chinese console").await?;
        save_screenshot(&client, "console-zh").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn the_console_speaks_arabic_right_to_left() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Noor").await;
    let base = t.base.clone();
    with_browser_in("ar", |client| async move {
        client.goto(&format!("{base}/console/")).await?;
        find(&client, &labelled_input("البريد الإلكتروني")).await?.send_keys(&email).await?;
        find(&client, &labelled_input("كلمة المرور")).await?.send_keys(&password).await?;
        find(&client, "//button[normalize-space()='تسجيل الدخول']").await?.click().await?;
        inbox_ready(&client).await?;
        let page =
            client.execute("return [document.documentElement.lang, document.documentElement.dir];", vec![]).await?;
        ensure!(page == serde_json::json!(["ar", "rtl"]), "the page is {page}");

        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        let question = "هل يتوفر هذا القميص بمقاس كبير؟";
        shopper.send("q1", question).await?;
        open_tab(&client, "محادثاتي").await?;
        listed_with(&client, question).await?.click().await?;
        find(&client, &format!("//div[@role='log']//p[normalize-space()='{question}']")).await?;
        // Mirrored: the inbox is on the right of the conversation, and the message reads right
        // to left.
        let layout = client
            .execute(
                "const i = document.querySelector('.inbox').getBoundingClientRect(), \
                       c = document.querySelector('.conversation-view').getBoundingClientRect(); \
                 return [i.left > c.left, getComputedStyle(document.querySelector('.line .text')).direction];",
                vec![],
            )
            .await?;
        ensure!(layout == serde_json::json!([true, "rtl"]), "layout {layout}");
        find(&client, "//textarea[@aria-label='الرد']").await?;
        assert_accessible(&client, "body", "the Arabic console").await?;
        save_screenshot(&client, "console-ar").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
