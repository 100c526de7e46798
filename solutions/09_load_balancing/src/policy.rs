//! Choosing a policy by name, as grpc's `grpc.lb_policy_name` option does (given).
//!
//! `user-client --target a,b,c --lb round_robin|pick_first` parses the name into a
//! [`Policy`] and builds a [`Balancer`], one type whichever policy was chosen, so that the
//! rest of the program has one `UserServiceClient<Balancer>`.

use std::{
    fmt,
    str::FromStr,
    task::{Context, Poll},
};

use tonic::{body::Body, transport::Endpoint};
use tower::Service;

use crate::{
    backend::{BackendSet, BoxError, ResponseFuture},
    pick_first::PickFirst,
    round_robin::RoundRobin,
};

/// A load-balancing policy, named as grpc names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `round_robin`: every call to the next ready backend.
    RoundRobin,
    /// `pick_first`: every call to the first ready backend, in address order.
    PickFirst,
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "round_robin" => Ok(Self::RoundRobin),
            "pick_first" => Ok(Self::PickFirst),
            other => Err(format!(
                "unknown load-balancing policy {other:?}: use round_robin or pick_first"
            )),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RoundRobin => "round_robin",
            Self::PickFirst => "pick_first",
        })
    }
}

/// Either balancer, as one `tower::Service` for `UserServiceClient::new`.
#[derive(Debug, Clone)]
pub enum Balancer {
    /// See [`RoundRobin`].
    RoundRobin(RoundRobin),
    /// See [`PickFirst`].
    PickFirst(PickFirst),
}

impl Balancer {
    /// A balancer of `policy` over `backends`.
    pub fn new(policy: Policy, backends: BackendSet) -> Self {
        match policy {
            Policy::RoundRobin => Self::RoundRobin(RoundRobin::new(backends)),
            Policy::PickFirst => Self::PickFirst(PickFirst::new(backends)),
        }
    }

    /// The set the balancer picks from.
    pub fn backends(&self) -> &BackendSet {
        match self {
            Self::RoundRobin(balancer) => balancer.backends(),
            Self::PickFirst(balancer) => balancer.backends(),
        }
    }
}

/// A balancer of `policy` over `endpoints`, every backend assumed ready until a call fails.
pub fn balancer(policy: Policy, endpoints: impl IntoIterator<Item = Endpoint>) -> Balancer {
    Balancer::new(policy, BackendSet::new(endpoints))
}

impl Service<http::Request<Body>> for Balancer {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            Self::RoundRobin(balancer) => balancer.poll_ready(cx),
            Self::PickFirst(balancer) => balancer.poll_ready(cx),
        }
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match self {
            Self::RoundRobin(balancer) => balancer.call(request),
            Self::PickFirst(balancer) => balancer.call(request),
        }
    }
}
