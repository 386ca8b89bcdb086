//! `relay store add`, `relay store set` and `relay store identity-secret`.

use anyhow::{bail, Context};

use super::visitor::Retention;
use super::{check_store_key, StoreSet};
use crate::store::{Store, StoreRecord};

/// `relay store add`
pub(super) async fn add(data: &crate::app::Database, key: &str, name: &str, origins: &[String]) -> anyhow::Result<()> {
    check_store_key(key)?;
    let origins =
        origins.iter().map(|o| crate::fields::origin(o)).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
    let store = data.open().await?;
    store.add_store(key, name.trim(), &origins).await?;
    store.close().await;
    println!(
        "created store {key:?} allowing {}",
        if origins.is_empty() { "no origin yet".into() } else { origins.join(", ") }
    );
    Ok(())
}

/// `relay store set`'s closing options.
struct Closing {
    wait_secs: Option<u32>,
    idle_hours: Option<u32>,
    csat: Option<bool>,
}

impl Closing {
    fn is_empty(&self) -> bool {
        self.wait_secs.is_none() && self.idle_hours.is_none() && self.csat.is_none()
    }
}

/// Applies the closing wait, idle time and rating question.
async fn set_closing(store: &Store, record: &StoreRecord, closing: &Closing) -> anyhow::Result<()> {
    let mut settings = store.settings(record.id).await?;
    settings.closing_wait_secs = closing.wait_secs.unwrap_or(settings.closing_wait_secs);
    settings.idle_close_secs = closing.idle_hours.map_or(settings.idle_close_secs, |h| h * 3_600);
    settings.csat = closing.csat.unwrap_or(settings.csat);
    store.save_settings(record.id, &settings).await?;
    let idle = match settings.idle_close_secs {
        0 => "never".to_owned(),
        secs => format!("after {} h", secs / 3_600),
    };
    let csat = if settings.csat { "asked" } else { "not asked" };
    println!(
        "store {:?}: closing question waits {} s, idle conversations close {idle}, rating {csat}",
        record.key, settings.closing_wait_secs
    );
    Ok(())
}

/// `relay store set`
pub(super) async fn set(data: &crate::app::Database, set: StoreSet) -> anyhow::Result<()> {
    let orders = OrderSourceArgs {
        url: set.order_source_url.clone(),
        secret: set.order_source_secret.clone(),
        allow_private: set.order_source_allow_private,
        bot_answers: set.bot_answers_orders,
    };
    let StoreSet {
        key,
        first_reply_secs,
        hours,
        timezone,
        greeting,
        colour,
        position,
        retention_days,
        require_identity,
        closing_wait_secs,
        idle_close_hours,
        csat,
        email_from,
        webhooks_allow_private,
        bot_repeat_secs,
        ..
    } = set;
    let closing = Closing { wait_secs: closing_wait_secs, idle_hours: idle_close_hours, csat };
    let nothing = [first_reply_secs.is_none(), hours.is_none(), timezone.is_none(), greeting.is_none()];
    let nothing_more = colour.is_none() && position.is_none() && retention_days.is_none() && require_identity.is_none();
    let nothing_more =
        nothing_more && email_from.is_none() && webhooks_allow_private.is_none() && bot_repeat_secs.is_none();
    if nothing.into_iter().all(|n| n) && nothing_more && orders.is_empty() && closing.is_empty() {
        bail!(
            "nothing to change: give --first-reply-secs, --hours, --timezone, --greeting, --colour, --position, \
             --retention-days, --require-identity, --closing-wait-secs, --idle-close-hours, --csat, --email-from, --webhooks-allow-private, --bot-repeat-secs \
             or an --order-source-… option"
        );
    }
    let colour = colour.as_deref().map(crate::fields::colour).transpose().map_err(anyhow::Error::msg)?;
    let position = position.as_deref().map(crate::fields::position).transpose().map_err(anyhow::Error::msg)?;
    let store = data.open().await?;
    let record = store.store_by_key(&key).await?.with_context(|| format!("no store has the key {key:?}"))?;
    if colour.is_some() || position.is_some() {
        set_look(&store, &record, colour, position).await?;
    }
    if let Some(greeting) = &greeting {
        set_greeting(&store, &key, greeting).await?;
    }
    if let Some(secs) = first_reply_secs {
        store.set_first_reply_secs(&key, secs).await?;
        println!("store {key:?}: first reply within {secs} s");
    }
    if hours.is_some() || timezone.is_some() {
        set_hours(&store, &record, hours, timezone).await?;
    }
    if !orders.is_empty() {
        set_order_source(&store, &record, &orders).await?;
    }
    if !closing.is_empty() {
        set_closing(&store, &record, &closing).await?;
    }
    if let Some(allow) = webhooks_allow_private {
        store.set_webhooks_allow_private(&key, allow).await?;
        println!("store {key:?}: webhooks {} private addresses", if allow { "may call" } else { "may not call" });
    }
    if email_from.is_some() || bot_repeat_secs.is_some() {
        set_email_and_repeats(&store, &record, email_from, bot_repeat_secs).await?;
    }
    if let Some(required) = require_identity {
        store.set_require_identity(&key, required).await?;
        let what = if required { "verified identities only" } else { "unsigned identify kept as unverified" };
        println!("store {key:?}: {what}");
    }
    if let Some(Retention(days)) = retention_days {
        store.set_retention_days(&key, days).await?;
        let kept = days.map_or("for ever".into(), |d| format!("{d} days after their last message"));
        println!("store {key:?}: conversations kept {kept}");
    }
    store.close().await;
    Ok(())
}

/// Applies the launcher's colour and corner.
async fn set_look(
    store: &Store,
    record: &StoreRecord,
    colour: Option<String>,
    position: Option<String>,
) -> anyhow::Result<()> {
    let mut settings = store.settings(record.id).await?;
    settings.colour = colour.unwrap_or(settings.colour);
    settings.position = position.unwrap_or(settings.position);
    store.save_settings(record.id, &settings).await?;
    println!("store {:?}: colour {}, launcher at the bottom {}", record.key, settings.colour, settings.position);
    Ok(())
}

/// Sets the greeting (at most 500 characters), or removes it when blank.
async fn set_greeting(store: &Store, key: &str, greeting: &str) -> anyhow::Result<()> {
    let greeting = Some(greeting.trim()).filter(|g| !g.is_empty());
    if greeting.is_some_and(|g| g.chars().count() > 500) {
        bail!("the greeting is longer than 500 characters");
    }
    store.set_greeting(key, greeting).await?;
    println!("store {key:?}: greeting {}", greeting.map_or("removed".into(), |g| format!("{g:?}")));
    Ok(())
}

/// Sets the opening hours (`always` for none) and time zone, each kept when not given; the
/// pair is checked together.
async fn set_hours(
    store: &Store,
    record: &StoreRecord,
    hours: Option<String>,
    timezone: Option<String>,
) -> anyhow::Result<()> {
    let (old_hours, old_zone) = store.hours(record.id).await?;
    let zone = timezone.unwrap_or(old_zone);
    let hours = match hours.as_deref() {
        Some("always") => None,
        Some(spec) => Some(spec.to_owned()),
        None => old_hours,
    };
    match &hours {
        Some(spec) => {
            crate::hours::Schedule::parse(spec, &zone).map_err(anyhow::Error::msg)?;
        }
        None => {
            jiff::tz::TimeZone::get(&zone).map_err(|_| anyhow::anyhow!("{zone:?} is not a time zone"))?;
        }
    }
    store.set_hours(&record.key, hours.as_deref(), &zone).await?;
    println!("store {:?}: hours {} ({zone})", record.key, hours.as_deref().unwrap_or("always open"));
    Ok(())
}

/// Sets the store's email sender and how often the bot may repeat a reply.
async fn set_email_and_repeats(
    store: &Store,
    record: &StoreRecord,
    email_from: Option<String>,
    bot_repeat_secs: Option<u32>,
) -> anyhow::Result<()> {
    let key = &record.key;
    let mut settings = store.settings(record.id).await?;
    if let Some(from) = &email_from {
        settings.email_from = crate::fields::email_from(from).map_err(anyhow::Error::msg)?;
    }
    settings.bot_repeat_secs = bot_repeat_secs.or(settings.bot_repeat_secs);
    store.save_settings(record.id, &settings).await?;
    if email_from.is_some() {
        println!("store {key:?}: emails from {}", settings.email_from.as_deref().unwrap_or("the relay's --mail-from"));
    }
    if let Some(secs) = bot_repeat_secs {
        println!("store {key:?}: the bot repeats a reply in a conversation at most once in {secs} s");
    }
    Ok(())
}

/// `relay store identity-secret`
pub(super) async fn identity_secret(
    data: &crate::app::Database,
    key: &str,
    rotate: bool,
    sign: Option<&str>,
) -> anyhow::Result<()> {
    let store = data.open().await?;
    let secret = store.identity_secret(key, rotate).await;
    store.close().await;
    let secret = secret?;
    match sign {
        Some(id) => println!("{}", crate::auth::identity_signature(&secret, id)),
        None => println!("{secret}"),
    }
    Ok(())
}

/// The order-source options of `relay store set`.
struct OrderSourceArgs {
    url: Option<String>,
    secret: Option<String>,
    allow_private: Option<bool>,
    bot_answers: Option<bool>,
}

impl OrderSourceArgs {
    fn is_empty(&self) -> bool {
        self.url.is_none() && self.secret.is_none() && self.allow_private.is_none() && self.bot_answers.is_none()
    }
}

/// Checks and stores the order-source options: an http(s) URL, not a private address unless
/// allowed, and a secret of at least 16 characters once a URL is set.
async fn set_order_source(
    store: &crate::store::Store,
    record: &crate::store::StoreRecord,
    args: &OrderSourceArgs,
) -> anyhow::Result<()> {
    let now = store.order_source(record.id).await?;
    let allow_private = args.allow_private.unwrap_or(now.allow_private);
    let url = match args.url.as_deref().map(str::trim) {
        Some("off") => Some(None),
        Some(url) => Some(Some(url)),
        None => None,
    };
    let new_url = url.unwrap_or(now.url.as_deref());
    let secret = args.secret.as_deref().map(str::trim);
    crate::orders::check_source(new_url, secret.unwrap_or(&now.secret), allow_private)
        .map_err(|why| anyhow::anyhow!("{why} (--order-source-url, --order-source-secret)"))?;
    let change = crate::store::OrderSourceChange {
        url,
        secret,
        allow_private: args.allow_private,
        bot_answers: args.bot_answers,
    };
    store.set_order_source(&record.key, &change).await?;
    let now = store.order_source(record.id).await?;
    println!(
        "store {:?}: order source {}{}; the bot answers order questions {}",
        record.key,
        now.url.as_deref().unwrap_or("none"),
        if now.allow_private { " (private addresses allowed)" } else { "" },
        if now.bot_answers { "at once" } else { "only when no agent is online" },
    );
    Ok(())
}
