//! The routing service's side of [`super::cluster`]: asking the owner of a desk, serving the
//! desks this node owns, following what the owners tell every node, and keeping the leases.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::cluster::{self, Answer, Card, Cluster, Command, Event};
use super::desk::AgentId;
use super::{from_status, Routing};
use crate::error::Result;

impl Routing {
    /// Asks the owner of a store's desk when that is another node: `Ok(Some(answer))`. `Ok(None)`
    /// when this node decides (one relay, or it holds the lease); `command` is made only to be
    /// sent.
    pub(super) async fn at_owner(&self, store_id: i64, command: impl FnOnce() -> Command) -> Result<Option<Answer>> {
        let Some(cluster) = &self.cluster else { return Ok(None) };
        let answer = cluster.ask(store_id, &command()).await?;
        if answer.is_none() {
            self.serve_desk(cluster, store_id).await;
        }
        Ok(answer)
    }

    /// Whether this node decides for the store's desk: always on one relay; with several, when
    /// it holds the lease or takes it now that nobody does. The first-reply sweep handles a
    /// store's waits only where this is true, so only the desk's owner sweeps them.
    pub async fn decides_for(&self, store_id: i64) -> bool {
        let Some(cluster) = &self.cluster else { return true };
        match cluster.take(store_id).await {
            Ok(true) => {
                self.serve_desk(cluster, store_id).await;
                true
            }
            Ok(false) => false,
            Err(error) => {
                tracing::warn!(%error, store_id, "could not read a desk's lease");
                false
            }
        }
    }

    /// Starts answering other nodes for a desk this node now holds (once), tells every node, and
    /// reports this node's own agents of the store to the desk.
    async fn serve_desk(&self, cluster: &Arc<Cluster>, store_id: i64) {
        let Some(stop) = cluster.start_serving(store_id, &self.shutdown) else { return };
        let subscriber = match cluster.client.subscribe(cluster.desk_subject(store_id)).await {
            Ok(subscriber) => subscriber,
            Err(error) => {
                tracing::error!(%error, store_id, "could not serve a desk to the other relays");
                cluster.stop_serving(store_id);
                return;
            }
        };
        tracing::info!(store_id, "this relay holds the store's desk");
        let me = self.me.clone();
        let answer = move |command| {
            let me = me.clone();
            async move {
                match me.upgrade() {
                    Some(routing) => routing.answer(store_id, command).await,
                    None => Answer::NotOwner,
                }
            }
        };
        tokio::spawn(cluster::serve(subscriber, cluster.client.clone(), stop, answer));
        cluster.tell(Event::Owner { store_id });
        if let Some(routing) = self.me.upgrade() {
            tokio::spawn(routing.report_agents(store_id));
        }
    }

    /// Decides a command from another node on this node's desk.
    async fn answer(&self, store_id: i64, command: Command) -> Answer {
        if !self.cluster.as_ref().is_some_and(|c| c.leases.holds(store_id)) {
            return Answer::NotOwner;
        }
        let done = match command {
            Command::Up { card, status, node } => self.up_here(card, from_status(status), &node).await,
            Command::Gone { card, node } => self.gone_here(card, &node).await,
            Command::Status { card, status } => {
                self.learn(&card, None);
                self.set_status_here(card.id, from_status(status)).await
            }
            Command::Capacity { card } => {
                self.learn(&card, None);
                self.capacity_here(card.id, card.capacity).await
            }
            Command::Route { conversation, visitor } => self.route_here(store_id, conversation, &visitor).await,
            Command::Claim { agent, conversation } => self.claim_here(store_id, agent, conversation).await,
            Command::Transfer { agent, conversation, to } => {
                self.transfer_here(store_id, agent, conversation, to).await
            }
            Command::Release { agent, conversation } => self.release_here(store_id, agent, conversation).await,
            Command::Close { conversation } => self.close_here(store_id, conversation).await,
            Command::Reopen { agent, conversation, visitor } => {
                self.reopen_here(store_id, agent, conversation, &visitor).await
            }
            Command::Reroute { conversation } => self.reroute_here(store_id, conversation).await,
            Command::Assignee { conversation } => {
                return Answer::Agent(self.assignee_here(store_id, conversation).await)
            }
            Command::QueuePosition { conversation } => {
                return Answer::Position(self.queue_position_here(store_id, conversation).await)
            }
            Command::Attendance { conversation } => {
                return Answer::Frame(self.attendance_here(store_id, conversation).await.map(Box::new))
            }
        };
        match done {
            Ok(()) => Answer::Done,
            Err(error) => Answer::Refused { code: error.code, message: error.message },
        }
    }

    /// Tells the desk's owner of each agent of the store this node holds sockets of (a new
    /// owner knows nobody). Boxed: taking a desk starts it, and it may take a desk.
    fn report_agents(self: Arc<Self>, store_id: i64) -> futures_util::future::BoxFuture<'static, ()> {
        Box::pin(async move { self.report_agents_now(store_id).await })
    }

    async fn report_agents_now(&self, store_id: i64) {
        let Some(cluster) = &self.cluster else { return };
        let held: Vec<(Card, protocol::AgentStatus)> = {
            let agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
            agents
                .iter()
                .filter(|(id, m)| m.store_id == store_id && cluster.sockets.sockets(**id) > 0)
                .map(|(id, m)| {
                    let card = Card { id: *id, store_id, name: m.name.clone(), capacity: m.capacity };
                    (card, super::to_status(m.status))
                })
                .collect()
        };
        for (card, status) in held {
            // An agent who was offline on the old desk but holds a socket here is online.
            let status = if status == protocol::AgentStatus::Offline { protocol::AgentStatus::Online } else { status };
            let node = cluster.node.clone();
            let command = || Command::Up { card: card.clone(), status, node: node.clone() };
            let reported = match self.at_owner(store_id, command).await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => self.up_here(card.clone(), from_status(status), &node).await,
                Err(error) => Err(error),
            };
            if let Err(error) = reported {
                tracing::warn!(%error, agent = card.id, "could not report an agent to the desk's owner");
            }
        }
    }

    /// Tells the owner of each agent gone from this node past the grace period.
    pub(super) async fn report_gone_here(
        self: Arc<Self>,
        mut gone: mpsc::UnboundedReceiver<AgentId>,
        stop: CancellationToken,
    ) {
        let Some(cluster) = self.cluster.clone() else { return };
        loop {
            let agent = tokio::select! {
                _ = stop.cancelled() => return,
                agent = gone.recv() => match agent { Some(agent) => agent, None => return },
            };
            let Some(card) = self.card(agent) else { continue };
            let node = cluster.node.clone();
            let command = || Command::Gone { card: card.clone(), node: node.clone() };
            let reported = match self.at_owner(card.store_id, command).await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => self.gone_here(card.clone(), &node).await,
                Err(error) => Err(error),
            };
            if let Err(error) = reported {
                tracing::error!(%error, agent, "could not take an agent offline");
            }
        }
    }

    /// Keeps what the owners tell every node: statuses, handlers, new owners.
    pub(super) async fn follow_events(
        self: Arc<Self>,
        mut heard: mpsc::UnboundedReceiver<Event>,
        stop: CancellationToken,
    ) {
        loop {
            let event = tokio::select! {
                _ = stop.cancelled() => return,
                event = heard.recv() => match event { Some(event) => event, None => return },
            };
            match event {
                Event::Presence { card, status } => self.learn(&card, Some(status)),
                Event::Handler { conversation, agent } => self.mirror_handler(conversation, agent),
                Event::Owner { store_id } => {
                    // The old owner's desk (if this node had it) is gone for good.
                    if !self.cluster.as_ref().is_some_and(|c| c.leases.holds(store_id)) {
                        self.desks.lock().await.remove(&store_id);
                    }
                    tokio::spawn(self.clone().report_agents(store_id));
                }
                Event::Hello => self.tell_newcomer().await,
                Event::Alive => {}
            }
        }
    }

    /// Tells a node that just joined what it would have heard: each agent's status and each
    /// conversation's handler on the desks this node holds.
    async fn tell_newcomer(&self) {
        let Some(cluster) = &self.cluster else { return };
        let served = cluster.served();
        let cards: Vec<(Card, protocol::AgentStatus)> = {
            let agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
            agents
                .iter()
                .filter(|(_, m)| served.contains(&m.store_id))
                .map(|(id, m)| {
                    let card = Card { id: *id, store_id: m.store_id, name: m.name.clone(), capacity: m.capacity };
                    (card, super::to_status(m.status))
                })
                .collect()
        };
        for (card, status) in cards {
            cluster.tell(Event::Presence { card, status });
        }
        let desks = self.desks.lock().await;
        for store_id in served {
            for (conversation, agent) in desks.get(&store_id).into_iter().flat_map(|d| d.assignments()) {
                cluster.tell(Event::Handler { conversation, agent: Some(agent) });
            }
        }
    }

    /// On an owner: the agents held by a node silent for a lease's life are gone from it, as if
    /// it had said so (offline when no other node holds them).
    async fn let_go_of_silent_nodes(&self, cluster: &Cluster) {
        for node in cluster.silent_nodes(cluster.leases.ttl()) {
            let agents = cluster.held_at(&node);
            if !agents.is_empty() {
                tracing::warn!(node, agents = agents.len(), "a relay fell silent: its agents are gone from it");
            }
            for agent in agents {
                let Some(card) = self.card(agent).filter(|c| cluster.leases.holds(c.store_id)) else { continue };
                if let Err(error) = self.gone_here(card, &node).await {
                    tracing::error!(%error, agent, "could not take an agent of a silent relay offline");
                }
            }
        }
    }

    /// Renews this node's leases every third of their life, tells the other nodes it is alive
    /// and lets go of the agents of nodes that are not; a desk whose lease was lost is
    /// dropped (the next owner rebuilds it from the database). Lets go of every lease at shutdown.
    pub(super) async fn keep_leases(self: Arc<Self>, cluster: Arc<Cluster>, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(cluster.leases.ttl() / 3);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticker.tick() => {}
            }
            for store_id in cluster.leases.renew().await {
                cluster.stop_serving(store_id);
                self.desks.lock().await.remove(&store_id);
            }
            cluster.tell(Event::Alive);
            self.let_go_of_silent_nodes(&cluster).await;
        }
        for store_id in cluster.served() {
            cluster.stop_serving(store_id);
            cluster.leases.release(store_id).await;
        }
    }
}
