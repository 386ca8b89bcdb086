//! Routing: which agent handles which conversation.
//!
//! `desk` holds the rules as pure state per store. Presence timers, persistence and the
//! announcements to agents and shoppers are wired around it as the routing issue lands; see the
//! README's status table for what is live.

pub mod desk;
