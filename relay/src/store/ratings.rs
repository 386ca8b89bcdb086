//! Shoppers' ratings of closed conversations: one per conversation, changeable for 24 hours
//! after it was first given.

use super::statements::vals;
use super::{Store, StoreError};

/// How long after the first rating it may still be changed.
pub const RATING_CHANGEABLE_MS: i64 = 24 * 60 * 60 * 1000;

impl Store {
    /// Records (or, within 24 hours of the first, replaces) the rating of a closed conversation
    /// at `now`; false when it is too late to change it.
    pub async fn rate(
        &self,
        conversation_id: i64,
        store_id: i64,
        score: u8,
        comment: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                "INSERT INTO ratings (conversation_id, store_id, score, comment, rated_at, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (conversation_id) DO UPDATE SET score = excluded.score, comment = excluded.comment,
                   changed_at = excluded.changed_at
                 WHERE ratings.rated_at > ?5 - ?6",
                vals![
                    conversation_id,
                    store_id,
                    i64::from(score),
                    comment.map(str::to_owned),
                    now,
                    RATING_CHANGEABLE_MS
                ],
            )
            .await?;
        Ok(changed == 1)
    }
}
