//! Lab 9's tests, in the order of the TODOs: round robin, pick first, health checks,
//! discovery, the L7 proxy.
//!
//! Every backend is a small gRPC server on `127.0.0.1:0` whose `GetUser` answers with a user
//! named after the backend ("a", "b", "c"), so the client can count where each call went.
//! Each also serves `grpc.health.v1.Health`, with a reporter the test flips. "Killing" a
//! backend closes its listener and every connection it accepted, as a crashed process would.
//!
//! The same file tests your code (`cargo test -p lab09-load-balancing`) and the reference
//! solution (`cargo test -p solution09-load-balancing`).

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use lab09::{
    BackendSet, BalancingProxy, L4Balancer, PickFirst, Policy, RoundRobin, balancer, pick_first,
    round_robin, watch_health,
};
use test_support::{TestServer, expect_code};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Semaphore, mpsc},
    task::JoinHandle,
};
use tokio_stream::StreamExt;
use tonic::{
    Code, Request, Response, Status, Streaming,
    codegen::BoxStream,
    service::Routes,
    transport::{Channel, Endpoint, Server},
};
use tonic_health::{
    pb::{HealthCheckRequest, health_client::HealthClient},
    server::HealthReporter,
};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
    user_service_server::{UserService, UserServiceServer},
};

/// The generous upper bound on anything a test waits for. Reaching it is a failure.
const LIMIT: Duration = Duration::from_secs(10);

/// The health service name the backends report on (what `grpc_health_probe -service=` asks).
const USER_SERVICE: &str = "user.UserService";

/// A `UserService` whose `GetUser` answers with a user named after the backend.
struct NamedBackend {
    name: &'static str,
    /// When set, each `GetUser` announces itself here and then waits for a permit.
    gate: Option<(mpsc::UnboundedSender<()>, Arc<Semaphore>)>,
}

#[tonic::async_trait]
impl UserService for NamedBackend {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let id = request.into_inner().id;
        if id <= 0 {
            return Err(Status::invalid_argument(format!(
                "id must be a positive integer, got {id}"
            )));
        }
        if let Some((arrived, release)) = &self.gate {
            let _ = arrived.send(());
            release
                .acquire()
                .await
                .map_err(|_| Status::internal("gate closed"))?
                .forget();
        }
        Ok(Response::new(User {
            id,
            name: self.name.to_owned(),
            email: format!("{id}@{}.test", self.name),
        }))
    }

    type ListUsersStream = BoxStream<User>;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("not used by lab 9"))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("not used by lab 9"))
    }

    type ChatStream = BoxStream<ChatMessage>;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("not used by lab 9"))
    }
}

/// One backend server that a test can kill.
struct TestBackend {
    addr: SocketAddr,
    health: HealthReporter,
    /// Every connection the server accepted, so that `kill` can close them.
    connections: Arc<Mutex<Vec<std::net::TcpStream>>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl TestBackend {
    async fn start(name: &'static str) -> Self {
        Self::start_with_gate(name, None).await
    }

    async fn start_with_gate(
        name: &'static str,
        gate: Option<(mpsc::UnboundedSender<()>, Arc<Semaphore>)>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 should always work");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_serving::<UserServiceServer<NamedBackend>>()
            .await;

        let connections = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::clone(&connections);
        // Keep a second handle on every accepted socket: shutting it down is what a crash
        // does to the connection (the client sees it close), whatever the server was doing.
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(
            move |stream: std::io::Result<TcpStream>| {
                let stream = stream?.into_std()?;
                accepted
                    .lock()
                    .expect("not poisoned")
                    .push(stream.try_clone()?);
                TcpStream::from_std(stream)
            },
        );
        let task = tokio::spawn(
            Server::builder()
                .add_service(health_service)
                .add_service(UserServiceServer::new(NamedBackend { name, gate }))
                .serve_with_incoming(incoming),
        );
        Self {
            addr,
            health,
            connections,
            task,
        }
    }

    fn addr(&self) -> String {
        self.addr.to_string()
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::from_shared(format!("http://{}", self.addr)).expect("a valid URI")
    }

    /// Stops the server as a crash would: the port refuses connections and every open
    /// connection closes. (A graceful shutdown would wait forever for open `Watch` streams.)
    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
        for connection in self.connections.lock().expect("not poisoned").drain(..) {
            let _ = connection.shutdown(std::net::Shutdown::Both);
        }
    }

    async fn set_not_serving(&self) {
        self.health
            .set_not_serving::<UserServiceServer<NamedBackend>>()
            .await;
    }

    async fn set_serving(&self) {
        self.health
            .set_serving::<UserServiceServer<NamedBackend>>()
            .await;
    }
}

/// Three healthy backends, "a", "b" and "c".
async fn three_backends() -> [TestBackend; 3] {
    [
        TestBackend::start("a").await,
        TestBackend::start("b").await,
        TestBackend::start("c").await,
    ]
}

fn endpoints(backends: &[&TestBackend]) -> Vec<Endpoint> {
    backends.iter().map(|backend| backend.endpoint()).collect()
}

/// Where calls went: successful calls per backend name, and the failures in order.
#[derive(Debug, Default)]
struct Tally {
    per_backend: BTreeMap<String, usize>,
    order: Vec<String>,
    failures: Vec<(usize, String)>,
}

impl Tally {
    fn count(&self, name: &str) -> usize {
        self.per_backend.get(name).copied().unwrap_or(0)
    }

    fn counts(&self) -> Vec<(&str, usize)> {
        self.per_backend
            .iter()
            .map(|(name, count)| (name.as_str(), *count))
            .collect()
    }
}

/// Makes `calls` `GetUser` calls one after another and tallies where they went.
async fn tally<S>(client: &mut UserServiceClient<S>, calls: usize) -> Tally
where
    S: tonic::client::GrpcService<tonic::body::Body>,
    S::Error: Into<tonic::codegen::StdError>,
    S::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <S::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let mut tally = Tally::default();
    for call in 0..calls {
        let result = tokio::time::timeout(LIMIT, client.get_user(GetUserRequest { id: 1 }))
            .await
            .unwrap_or_else(|_| panic!("call {call} did not finish within {LIMIT:?}"));
        match result {
            Ok(response) => {
                let name = response.into_inner().name;
                *tally.per_backend.entry(name.clone()).or_default() += 1;
                tally.order.push(name);
            }
            Err(status) => tally
                .failures
                .push((call, format!("{:?}: {}", status.code(), status.message()))),
        }
    }
    tally
}

/// Waits (up to [`LIMIT`]) until the set's ready backends are exactly `expected`.
async fn wait_for_ready(set: &BackendSet, expected: &[String], what: &str) {
    let expected = expected.to_vec();
    let reached =
        tokio::time::timeout(LIMIT, set.wait_until(|set| set.ready_addrs() == expected)).await;
    assert!(
        reached.is_ok(),
        "{what}: expected the ready backends to become {expected:?}, still {:?} after {LIMIT:?}",
        set.ready_addrs()
    );
}

fn counts(expected: &[(&str, usize)]) -> BTreeMap<String, usize> {
    expected
        .iter()
        .map(|(name, count)| (name.to_string(), *count))
        .collect()
}

fn names(tally: &Tally, first: usize) -> Vec<&str> {
    tally.order.iter().take(first).map(String::as_str).collect()
}

mod step_1_round_robin {
    use super::*;

    // ANCHOR: thirty_calls_over_three_healthy_backends_are_split_10_10_10
    #[tokio::test]
    async fn thirty_calls_over_three_healthy_backends_are_split_10_10_10() {
        let [a, b, c] = three_backends().await;
        let mut client = UserServiceClient::new(round_robin(endpoints(&[&a, &b, &c])));

        let tally = tally(&mut client, 30).await;

        assert!(
            tally.failures.is_empty(),
            "no call should fail: {:?}",
            tally.failures
        );
        assert_eq!(
            tally.counts(),
            [("a", 10), ("b", 10), ("c", 10)],
            "round robin gives every healthy backend the same share, call by call"
        );
    }
    // ANCHOR_END: thirty_calls_over_three_healthy_backends_are_split_10_10_10

    // ANCHOR: calls_rotate_strictly_in_address_order
    #[tokio::test]
    async fn calls_rotate_strictly_in_address_order() {
        let [a, b, c] = three_backends().await;
        let mut client = UserServiceClient::new(round_robin(endpoints(&[&a, &b, &c])));

        let tally = tally(&mut client, 6).await;

        assert_eq!(
            names(&tally, 6),
            ["a", "b", "c", "a", "b", "c"],
            "each call should go to the backend after the previous call's, wrapping around"
        );
    }
    // ANCHOR_END: calls_rotate_strictly_in_address_order

    // ANCHOR: concurrent_calls_are_spread_evenly_too
    #[tokio::test]
    async fn concurrent_calls_are_spread_evenly_too() {
        let [a, b, c] = three_backends().await;
        let client = UserServiceClient::new(round_robin(endpoints(&[&a, &b, &c])));

        let calls = (0..30).map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move { client.get_user(GetUserRequest { id: 1 }).await })
        });
        let mut counts = BTreeMap::<String, usize>::new();
        for call in calls {
            let user = tokio::time::timeout(LIMIT, call)
                .await
                .expect("30 calls should finish well within the limit")
                .expect("the task should not panic")
                .expect("every backend is healthy")
                .into_inner();
            *counts.entry(user.name).or_default() += 1;
        }

        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            [("a".into(), 10), ("b".into(), 10), ("c".into(), 10)],
            "30 calls made at once must still split 10/10/10: take the rotation's position \
             with one atomic step (`fetch_add`), not a load followed by a store"
        );
    }
    // ANCHOR_END: concurrent_calls_are_spread_evenly_too

    // ANCHOR: skips_a_backend_that_is_not_ready
    #[tokio::test]
    async fn skips_a_backend_that_is_not_ready() {
        let [a, b, c] = three_backends().await;
        let balancer = round_robin(endpoints(&[&a, &b, &c]));
        balancer
            .backends()
            .get(&b.addr())
            .expect("b is in the set")
            .set_ready(false);
        let mut client = UserServiceClient::new(balancer);

        let tally = tally(&mut client, 30).await;

        assert!(
            tally.failures.is_empty(),
            "no call should fail: {:?}",
            tally.failures
        );
        assert_eq!(
            tally.counts(),
            [("a", 15), ("c", 15)],
            "a backend that is not ready gets no calls, and the others share them evenly: rotate \
             over the ready backends only, or the one after a skipped backend gets its share too"
        );
    }
    // ANCHOR_END: skips_a_backend_that_is_not_ready

    // ANCHOR: a_killed_backend_costs_at_most_one_failed_call_then_none
    #[tokio::test]
    async fn a_killed_backend_costs_at_most_one_failed_call_then_none() {
        let [a, b, c] = three_backends().await;
        let mut client = UserServiceClient::new(round_robin(endpoints(&[&a, &b, &c])));
        let before = tally(&mut client, 30).await;
        assert_eq!(before.counts(), [("a", 10), ("b", 10), ("c", 10)]);

        b.kill().await;
        let after = tally(&mut client, 30).await;

        assert!(
            after.failures.len() <= 1,
            "one dead backend may cost one failed call (the one that finds out), not {}: {:?}",
            after.failures.len(),
            after.failures
        );
        for (call, failure) in &after.failures {
            assert!(
                *call < 3,
                "the failure should come within one rotation of the kill, at call {call}: \
                 {failure}"
            );
            assert!(
                failure.starts_with("Unavailable"),
                "a dead backend is UNAVAILABLE, got {failure}"
            );
        }
        assert_eq!(after.count("b"), 0, "b is dead");
        let (to_a, to_c) = (after.count("a"), after.count("c"));
        assert_eq!(to_a + to_c + after.failures.len(), 30);
        assert!(
            to_a.abs_diff(to_c) <= 1,
            "the two live backends should share the calls evenly, got a={to_a} c={to_c}"
        );
    }
    // ANCHOR_END: a_killed_backend_costs_at_most_one_failed_call_then_none

    // ANCHOR: an_error_status_from_a_backend_does_not_eject_it
    #[tokio::test]
    async fn an_error_status_from_a_backend_does_not_eject_it() {
        let [a, b, c] = three_backends().await;
        let balancer = round_robin(endpoints(&[&a, &b, &c]));
        let mut client = UserServiceClient::new(balancer.clone());

        for _ in 0..3 {
            expect_code(
                client.get_user(GetUserRequest { id: 0 }).await,
                Code::InvalidArgument,
            );
        }

        assert_eq!(
            balancer.backends().ready_addrs(),
            [a.addr(), b.addr(), c.addr()],
            "INVALID_ARGUMENT is an answer, not a failure of the backend"
        );
    }
    // ANCHOR_END: an_error_status_from_a_backend_does_not_eject_it

    // ANCHOR: with_no_ready_backend_a_call_fails_with_unavailable
    #[tokio::test]
    async fn with_no_ready_backend_a_call_fails_with_unavailable() {
        let a = TestBackend::start("a").await;
        let balancer = round_robin(endpoints(&[&a]));
        balancer
            .backends()
            .get(&a.addr())
            .expect("a is in the set")
            .set_ready(false);
        let mut client = UserServiceClient::new(balancer);

        expect_code(
            client.get_user(GetUserRequest { id: 1 }).await,
            Code::Unavailable,
        );
    }
    // ANCHOR_END: with_no_ready_backend_a_call_fails_with_unavailable

    // ANCHOR: tonic_balance_list_keeps_choosing_a_dead_endpoint_where_round_robin_ejects_it
    /// tonic's own balancer, for comparison: `Channel::balance_list` is tower's
    /// power-of-two-choices, and a lazy channel to a dead address still reports itself
    /// ready (it fails the call instead), so the balancer keeps choosing it.
    #[tokio::test]
    async fn tonic_balance_list_keeps_choosing_a_dead_endpoint_where_round_robin_ejects_it() {
        let live = TestBackend::start("a").await;
        let dead = TestBackend::start("b").await;
        let dead_endpoint = dead.endpoint();
        dead.kill().await;

        let mut tonic_balanced = UserServiceClient::new(Channel::balance_list(
            [live.endpoint(), dead_endpoint.clone()].into_iter(),
        ));
        let tonic_tally = tally(&mut tonic_balanced, 30).await;
        let mut round_robin = UserServiceClient::new(round_robin([live.endpoint(), dead_endpoint]));
        let ours = tally(&mut round_robin, 30).await;

        assert!(
            ours.failures.len() <= 1,
            "round robin should eject the dead backend after one failure: {:?}",
            ours.failures
        );
        assert!(
            tonic_tally.failures.len() >= 2,
            "tonic's balance_list kept failing on the dead endpoint (tonic issues #643, \
             #2182): {} failures",
            tonic_tally.failures.len()
        );
    }
    // ANCHOR_END: tonic_balance_list_keeps_choosing_a_dead_endpoint_where_round_robin_ejects_it
}

mod step_2_pick_first {
    use super::*;

    // ANCHOR: sends_every_call_to_the_first_address
    #[tokio::test]
    async fn sends_every_call_to_the_first_address() {
        let [a, b, c] = three_backends().await;
        let mut client = UserServiceClient::new(pick_first(endpoints(&[&a, &b, &c])));

        let tally = tally(&mut client, 30).await;

        assert!(
            tally.failures.is_empty(),
            "no call should fail: {:?}",
            tally.failures
        );
        assert_eq!(
            tally.counts(),
            [("a", 30)],
            "pick_first is not balancing: while the first address works, it gets every call"
        );
    }
    // ANCHOR_END: sends_every_call_to_the_first_address

    // ANCHOR: starts_with_the_first_address_that_is_ready
    #[tokio::test]
    async fn starts_with_the_first_address_that_is_ready() {
        let [a, b, c] = three_backends().await;
        let balancer = pick_first(endpoints(&[&a, &b, &c]));
        balancer
            .backends()
            .get(&a.addr())
            .expect("a is in the set")
            .set_ready(false);
        let mut client = UserServiceClient::new(balancer);

        let tally = tally(&mut client, 10).await;

        assert_eq!(tally.counts(), [("b", 10)], "a is not ready, so b is first");
    }
    // ANCHOR_END: starts_with_the_first_address_that_is_ready

    // ANCHOR: fails_over_to_the_next_address_when_the_first_dies
    #[tokio::test]
    async fn fails_over_to_the_next_address_when_the_first_dies() {
        let [a, b, c] = three_backends().await;
        let balancer: PickFirst = pick_first(endpoints(&[&a, &b, &c]));
        let mut client = UserServiceClient::new(balancer);
        assert_eq!(tally(&mut client, 10).await.counts(), [("a", 10)]);

        a.kill().await;
        let after = tally(&mut client, 30).await;

        assert!(
            after.failures.len() <= 1,
            "failing over may cost the one call that finds a dead, not {}: {:?}",
            after.failures.len(),
            after.failures
        );
        assert_eq!(
            after.counts(),
            [("b", 30 - after.failures.len())],
            "after a dies, every call goes to the next address, b"
        );
    }
    // ANCHOR_END: fails_over_to_the_next_address_when_the_first_dies

    // ANCHOR: the_seeds_policy_names_choose_the_balancer
    #[tokio::test]
    async fn the_seeds_policy_names_choose_the_balancer() {
        let [a, b, c] = three_backends().await;
        let mut by_name = Vec::new();
        for name in ["round_robin", "pick_first"] {
            let policy: Policy = name.parse().expect("a policy name grpc knows");
            let mut client = UserServiceClient::new(balancer(policy, endpoints(&[&a, &b, &c])));
            by_name.push((name, tally(&mut client, 30).await.per_backend));
        }

        assert_eq!(
            by_name,
            [
                ("round_robin", counts(&[("a", 10), ("b", 10), ("c", 10)])),
                ("pick_first", counts(&[("a", 30)])),
            ]
        );
        assert!("least_request".parse::<Policy>().is_err());
    }
    // ANCHOR_END: the_seeds_policy_names_choose_the_balancer
}

mod step_3_health_checks {
    use super::*;

    /// Three backends behind a round robin whose set watches each one's health.
    async fn health_checked() -> ([TestBackend; 3], RoundRobin) {
        let backends = three_backends().await;
        let set = BackendSet::with_health_checks(
            endpoints(&[&backends[0], &backends[1], &backends[2]]),
            USER_SERVICE,
        );
        let all: Vec<String> = backends.iter().map(TestBackend::addr).collect();
        wait_for_ready(
            &set,
            &all,
            "every backend reports SERVING, so the health watch should admit all three",
        )
        .await;
        (backends, RoundRobin::new(set))
    }

    // ANCHOR: backends_that_report_serving_are_admitted
    #[tokio::test]
    async fn backends_that_report_serving_are_admitted() {
        let ([_a, _b, _c], balancer) = health_checked().await;
        let mut client = UserServiceClient::new(balancer);

        let tally = tally(&mut client, 30).await;

        assert!(
            tally.failures.is_empty(),
            "no call should fail: {:?}",
            tally.failures
        );
        assert_eq!(tally.counts(), [("a", 10), ("b", 10), ("c", 10)]);
    }
    // ANCHOR_END: backends_that_report_serving_are_admitted

    // ANCHOR: not_serving_ejects_the_backend_and_serving_readmits_it
    #[tokio::test]
    async fn not_serving_ejects_the_backend_and_serving_readmits_it() {
        let ([a, b, c], balancer) = health_checked().await;
        let set = balancer.backends().clone();
        let mut client = UserServiceClient::new(balancer);

        b.set_not_serving().await;
        wait_for_ready(
            &set,
            &[a.addr(), c.addr()],
            "b reported NOT_SERVING, so it should be ejected",
        )
        .await;
        let ejected = tally(&mut client, 30).await;
        assert!(ejected.failures.is_empty(), "{:?}", ejected.failures);
        assert_eq!(
            ejected.counts(),
            [("a", 15), ("c", 15)],
            "an ejected backend gets no calls, and costs no failed call either"
        );

        b.set_serving().await;
        wait_for_ready(
            &set,
            &[a.addr(), b.addr(), c.addr()],
            "b reported SERVING again, so it should be re-admitted",
        )
        .await;
        let readmitted = tally(&mut client, 30).await;
        assert!(readmitted.failures.is_empty(), "{:?}", readmitted.failures);
        assert_eq!(readmitted.counts(), [("a", 10), ("b", 10), ("c", 10)]);
    }
    // ANCHOR_END: not_serving_ejects_the_backend_and_serving_readmits_it

    // ANCHOR: an_unreachable_backend_is_ejected_before_any_call_fails
    #[tokio::test]
    async fn an_unreachable_backend_is_ejected_before_any_call_fails() {
        let ([a, b, c], balancer) = health_checked().await;
        let set = balancer.backends().clone();
        let mut client = UserServiceClient::new(balancer);

        b.kill().await;
        wait_for_ready(
            &set,
            &[a.addr(), c.addr()],
            "b's Watch stream broke when b died, so it should be ejected",
        )
        .await;
        let tally = tally(&mut client, 30).await;

        assert!(
            tally.failures.is_empty(),
            "the health watch ejected b before any call went there: {:?}",
            tally.failures
        );
        assert_eq!(tally.counts(), [("a", 15), ("c", 15)]);
    }
    // ANCHOR_END: an_unreachable_backend_is_ejected_before_any_call_fails

    // ANCHOR: a_service_name_the_backend_does_not_know_ejects_it
    #[tokio::test]
    async fn a_service_name_the_backend_does_not_know_ejects_it() {
        let a = TestBackend::start("a").await;

        // What tonic-health does: `Watch` on an unregistered name fails at once with
        // NOT_FOUND (the health protocol's text says to stream SERVICE_UNKNOWN instead).
        let mut health = HealthClient::new(a.endpoint().connect_lazy());
        expect_code(
            health
                .watch(HealthCheckRequest {
                    service: "no.such.Service".into(),
                })
                .await
                .map(|_| ()),
            Code::NotFound,
        );

        // So a watch for that name must count an error as "not serving".
        let set = BackendSet::new([a.endpoint()]);
        let backend = set.get(&a.addr()).expect("a is in the set");
        assert!(backend.is_ready(), "a plain set starts ready");
        tokio::spawn(watch_health(backend, "no.such.Service".into()));
        wait_for_ready(
            &set,
            &[],
            "Watch(\"no.such.Service\") failed with NOT_FOUND, so a should be ejected",
        )
        .await;
    }
    // ANCHOR_END: a_service_name_the_backend_does_not_know_ejects_it
}

mod step_4_discovery {
    use super::*;

    // ANCHOR: a_backend_added_at_run_time_gets_its_share
    #[tokio::test]
    async fn a_backend_added_at_run_time_gets_its_share() {
        let [a, b, c] = three_backends().await;
        let balancer = round_robin(endpoints(&[&a, &b]));
        let mut client = UserServiceClient::new(balancer.clone());
        assert_eq!(
            tally(&mut client, 20).await.counts(),
            [("a", 10), ("b", 10)]
        );

        balancer.backends().update(endpoints(&[&a, &b, &c]));
        let tally = tally(&mut client, 30).await;

        assert!(tally.failures.is_empty(), "{:?}", tally.failures);
        assert_eq!(tally.counts(), [("a", 10), ("b", 10), ("c", 10)]);
    }
    // ANCHOR_END: a_backend_added_at_run_time_gets_its_share

    // ANCHOR: a_removed_backend_gets_no_more_calls
    #[tokio::test]
    async fn a_removed_backend_gets_no_more_calls() {
        let [a, b, c] = three_backends().await;
        let balancer = round_robin(endpoints(&[&a, &b, &c]));
        let mut client = UserServiceClient::new(balancer.clone());

        balancer.backends().update(endpoints(&[&a, &c]));
        let tally = tally(&mut client, 30).await;

        assert_eq!(balancer.backends().addrs(), [a.addr(), c.addr()]);
        assert!(tally.failures.is_empty(), "{:?}", tally.failures);
        assert_eq!(tally.counts(), [("a", 15), ("c", 15)]);
    }
    // ANCHOR_END: a_removed_backend_gets_no_more_calls

    // ANCHOR: an_update_keeps_the_backends_that_stay
    #[tokio::test]
    async fn an_update_keeps_the_backends_that_stay() {
        let [a, b, c] = three_backends().await;
        let set = BackendSet::new(endpoints(&[&a, &b]));
        let kept_before = set.get(&a.addr()).expect("a is in the set");
        let removed = set.get(&b.addr()).expect("b is in the set");

        set.update(endpoints(&[&c, &a]));

        assert_eq!(
            set.addrs(),
            [c.addr(), a.addr()],
            "the new list, in its order"
        );
        let kept_after = set.get(&a.addr()).expect("a is still in the set");
        assert!(
            Arc::ptr_eq(&kept_before, &kept_after),
            "a backend that stays must keep its channel (and connection): reuse it, don't \
             make a new one"
        );
        assert!(removed.is_retired(), "a removed backend should be retired");
    }
    // ANCHOR_END: an_update_keeps_the_backends_that_stay

    // ANCHOR: a_call_in_flight_on_a_removed_backend_completes
    #[tokio::test]
    async fn a_call_in_flight_on_a_removed_backend_completes() {
        let (arrived_tx, mut arrived) = mpsc::unbounded_channel();
        let release = Arc::new(Semaphore::new(0));
        let slow =
            TestBackend::start_with_gate("b", Some((arrived_tx, Arc::clone(&release)))).await;
        let a = TestBackend::start("a").await;
        let balancer = round_robin(endpoints(&[&slow]));
        let client = UserServiceClient::new(balancer.clone());

        let in_flight = tokio::spawn({
            let mut client = client.clone();
            async move { client.get_user(GetUserRequest { id: 1 }).await }
        });
        tokio::time::timeout(LIMIT, arrived.recv())
            .await
            .expect("the call should reach b");

        balancer.backends().update(endpoints(&[&a]));
        release.add_permits(1);
        let user = tokio::time::timeout(LIMIT, in_flight)
            .await
            .expect("the in-flight call should finish once b answers")
            .expect("the task should not panic")
            .expect("removing b from the set must not fail the call already on b")
            .into_inner();
        assert_eq!(user.name, "b");

        let mut client = client;
        assert_eq!(tally(&mut client, 5).await.counts(), [("a", 5)]);
    }
    // ANCHOR_END: a_call_in_flight_on_a_removed_backend_completes
}

mod step_5_proxy {
    use super::*;

    /// A proxy server in front of `backends`, balancing with the learner's round robin.
    async fn proxy(backends: &[&TestBackend]) -> TestServer {
        let proxy = BalancingProxy::new(round_robin(endpoints(backends)));
        TestServer::start(Routes::new(UserServiceServer::new(proxy))).await
    }

    // ANCHOR: the_proxy_spreads_the_calls_of_one_connection_10_10_10
    #[tokio::test]
    async fn the_proxy_spreads_the_calls_of_one_connection_10_10_10() {
        let [a, b, c] = three_backends().await;
        let proxy = proxy(&[&a, &b, &c]).await;
        // One channel: one HTTP/2 connection from the client to the proxy.
        let mut client = UserServiceClient::new(proxy.channel());

        let tally = tally(&mut client, 30).await;

        assert!(tally.failures.is_empty(), "{:?}", tally.failures);
        assert_eq!(tally.counts(), [("a", 10), ("b", 10), ("c", 10)]);
    }
    // ANCHOR_END: the_proxy_spreads_the_calls_of_one_connection_10_10_10

    // ANCHOR: an_l4_balancer_pins_one_connection_to_one_backend_where_the_proxy_does_not
    #[tokio::test]
    async fn an_l4_balancer_pins_one_connection_to_one_backend_where_the_proxy_does_not() {
        let [a, b, c] = three_backends().await;
        let l4 = L4Balancer::start(vec![a.addr, b.addr, c.addr])
            .await
            .expect("the L4 balancer binds 127.0.0.1:0");
        let mut through_l4 = UserServiceClient::new(
            Endpoint::from_shared(l4.url())
                .expect("a valid URI")
                .connect_lazy(),
        );
        let l4_tally = tally(&mut through_l4, 30).await;
        assert_eq!(l4.connections(), 1, "one channel opens one connection");
        assert_eq!(
            l4_tally.counts(),
            [("a", 30)],
            "the L4 balancer chose a backend once, for the connection, so all 30 calls went there"
        );

        let proxy = proxy(&[&a, &b, &c]).await;
        let mut through_proxy = UserServiceClient::new(proxy.channel());
        let l7_tally = tally(&mut through_proxy, 30).await;
        assert_eq!(
            l7_tally.counts(),
            [("a", 10), ("b", 10), ("c", 10)],
            "the L7 proxy chooses per call"
        );
    }
    // ANCHOR_END: an_l4_balancer_pins_one_connection_to_one_backend_where_the_proxy_does_not

    // ANCHOR: the_proxy_passes_a_backends_status_through
    #[tokio::test]
    async fn the_proxy_passes_a_backends_status_through() {
        let [a, b, c] = three_backends().await;
        let proxy = proxy(&[&a, &b, &c]).await;
        let mut client = UserServiceClient::new(proxy.channel());

        let status = expect_code(
            client.get_user(GetUserRequest { id: -3 }).await,
            Code::InvalidArgument,
        );
        assert_eq!(status.message(), "id must be a positive integer, got -3");
    }
    // ANCHOR_END: the_proxy_passes_a_backends_status_through
}
