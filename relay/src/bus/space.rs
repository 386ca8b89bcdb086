//! One cluster's names on a NATS server: its subjects and its desks' lease bucket.
//!
//! Several clusters may share a NATS server (staging beside production, a benchmark's runs one
//! after another). Their subjects must not meet: a frame for shopper `v1` of one cluster would
//! reach another's sockets, and two clusters would contend for `desk.1`. A cluster is the
//! relays on one database, so the database names it: an id made once and kept there
//! (`meta.bus_cluster_id`) puts every subject under `parley.ID.` and the leases in the bucket
//! `parley_desks_ID`. Relays on one database find each other with no setting; relays on
//! different databases never hear each other.

use std::sync::Arc;

use crate::hub::Room;

/// A cluster's subjects and bucket; cheap to clone.
#[derive(Clone, Debug)]
pub struct Space {
    /// The cluster's id: lowercase hex, so it is safe in subjects and bucket names.
    id: Arc<str>,
}

impl Space {
    /// The names of the cluster with id `id` (any bytes; written as hex).
    pub fn of_cluster(id: &[u8]) -> Space {
        Space { id: super::hex(id).into() }
    }

    /// The cluster's subject `parley.ID.REST`.
    pub fn subject(&self, rest: &str) -> String {
        format!("parley.{}.{rest}", self.id)
    }

    /// The desks' lease bucket of this cluster.
    pub fn bucket(&self) -> String {
        format!("parley_desks_{}", self.id)
    }

    /// The subject a room's sockets hear on; `None` for supervisors, whose frames come on
    /// their store's subject.
    pub fn room(&self, room: &Room) -> Option<String> {
        Some(match room {
            Room::Visitor(visitor) => self.subject(&format!("visitor.{}", super::token(visitor))),
            Room::StoreAgents(store) => self.subject(&format!("store.{store}")),
            Room::Agent(agent) => self.subject(&format!("agent.{agent}")),
            Room::Supervisors(_) => return None,
            Room::Session(hash) => self.subject(&format!("session.{}", super::hex(hash))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_on_one_server_have_their_own_names() {
        let (one, two) = (Space::of_cluster(&[1, 2]), Space::of_cluster(&[0xab]));
        assert_eq!(one.room(&Room::StoreAgents(7)).unwrap(), "parley.0102.store.7");
        assert_eq!(two.room(&Room::StoreAgents(7)).unwrap(), "parley.ab.store.7");
        assert_eq!(one.bucket(), "parley_desks_0102");
        assert_eq!(one.room(&Room::Session(vec![0xab, 0x01])).unwrap(), "parley.0102.session.ab01");
        assert_eq!(one.room(&Room::Supervisors(1)), None);
    }
}
