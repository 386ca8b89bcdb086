//! A shopper's rating of a closed conversation (CSAT): checked, stored and shown to the team.

use protocol::{ErrorCode, ServerFrame};

use super::Conversations;
use crate::error::{Error, Result};
use crate::fanout::Audience;

/// The longest comment kept with a rating, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

impl Conversations {
    /// Rates `conversation_id` for the shopper `visitor_id` at `now` (ms): it must be theirs,
    /// closed, and its store must ask for ratings. The shopper's tabs and the store's agents
    /// get `rated`.
    pub async fn rate(
        &self,
        visitor_id: &str,
        conversation_id: i64,
        score: u8,
        comment: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let not_found = || Error::new(ErrorCode::NotFound, format!("no conversation {conversation_id} of yours"));
        let conversation = self.store.conversation(conversation_id).await?.ok_or_else(not_found)?;
        if conversation.visitor_id != visitor_id {
            return Err(not_found());
        }
        if !(1..=5).contains(&score) {
            return Err(Error::invalid("a rating is 1 to 5"));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(Error::invalid(format!("a comment is at most {MAX_COMMENT_CHARS} characters")));
        }
        if self.store.closed_at(conversation_id).await?.is_none() {
            return Err(Error::invalid("only a closed conversation can be rated"));
        }
        if !self.store.settings(conversation.store_id).await?.csat {
            return Err(Error::invalid("this store does not ask for ratings"));
        }
        if !self.store.rate(conversation_id, conversation.store_id, score, comment, now).await? {
            return Err(Error::invalid("a rating can be changed for 24 hours only"));
        }
        let frame = ServerFrame::Rated { conversation_id, score, comment: comment.map(str::to_owned) };
        self.fanout.publish(&Audience::Visitor(conversation.visitor_id.clone()), &frame);
        self.fanout.publish(&Audience::StoreAgents(conversation.store_id), &frame);
        Ok(())
    }
}
