//! Who is on each store's site now: the shoppers whose widget holds a socket to this relay,
//! and since when their visit runs. Pure state, fed by the visitor sockets (`ws::away::Here`);
//! the console's "Visitors now" reads it. A shopper moving to the next page closes one socket
//! and opens another a moment later: their visit keeps its start when they come back within
//! [`SAME_VISIT_MS`].

use std::collections::HashMap;
use std::sync::Mutex;

/// A shopper back within this time of their last socket closing is on the same visit.
pub const SAME_VISIT_MS: i64 = 30 * 60 * 1000;
/// Shoppers a store's list holds at most (the most recent arrivals).
pub const MAX_LISTED: usize = 50;

#[derive(Debug, Clone, Copy)]
struct Presence {
    sockets: usize,
    since: i64,
    left_at: i64,
}

/// Every store's shoppers on the site.
#[derive(Debug, Default)]
pub struct Live {
    stores: Mutex<HashMap<i64, HashMap<String, Presence>>>,
}

impl Live {
    /// A socket of the shopper's opened at `now` (ms).
    pub fn arrived(&self, store_id: i64, visitor_id: &str, now: i64) {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        let visitors = stores.entry(store_id).or_default();
        let presence =
            visitors.entry(visitor_id.to_owned()).or_insert(Presence { sockets: 0, since: now, left_at: now });
        if presence.sockets == 0 && now - presence.left_at > SAME_VISIT_MS {
            presence.since = now;
        }
        presence.sockets += 1;
        // Gone for longer than a visit: forgotten.
        visitors.retain(|_, p| p.sockets > 0 || now - p.left_at <= SAME_VISIT_MS);
    }

    /// A socket of the shopper's closed at `now`.
    pub fn left(&self, store_id: i64, visitor_id: &str, now: i64) {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = stores.get_mut(&store_id).and_then(|v| v.get_mut(visitor_id)) {
            p.sockets = p.sockets.saturating_sub(1);
            p.left_at = now;
        }
    }

    /// The store's shoppers with a socket open, with when their visit began, the latest
    /// arrivals first, at most [`MAX_LISTED`].
    pub fn here(&self, store_id: i64) -> Vec<(String, i64)> {
        let stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        let mut here: Vec<(String, i64)> = stores
            .get(&store_id)
            .map(|v| v.iter().filter(|(_, p)| p.sockets > 0).map(|(id, p)| (id.clone(), p.since)).collect())
            .unwrap_or_default();
        here.sort_by_key(|(_, since)| std::cmp::Reverse(*since));
        here.truncate(MAX_LISTED);
        here
    }

    /// Whether the shopper has a socket open to this relay.
    pub fn is_here(&self, store_id: i64, visitor_id: &str) -> bool {
        let stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        stores.get(&store_id).and_then(|v| v.get(visitor_id)).is_some_and(|p| p.sockets > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_spans_page_loads_and_ends_after_half_an_hour_away() {
        let live = Live::default();
        live.arrived(1, "ana", 1_000);
        live.left(1, "ana", 5_000);
        assert!(live.here(1).is_empty(), "between two pages");
        live.arrived(1, "ana", 6_000);
        assert_eq!(live.here(1), vec![("ana".to_owned(), 1_000)], "the next page, same visit");
        live.arrived(1, "ana", 7_000);
        live.left(1, "ana", 8_000);
        assert!(live.is_here(1, "ana"), "another tab still open");
        live.left(1, "ana", 9_000);
        live.arrived(1, "ana", 9_000 + SAME_VISIT_MS + 1);
        assert_eq!(live.here(1)[0].1, 9_000 + SAME_VISIT_MS + 1, "a new visit");
        assert!(live.here(2).is_empty(), "another store's list is its own");
    }
}
