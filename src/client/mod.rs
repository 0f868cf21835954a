//! lbsim as an AWS *client*, for the code inside lbsim that calls AWS APIs (the controller
//! emulation, fixture loading, scenario checks and raw calls, live-mode commands): SDK clients and
//! their retry policy (`clients`), the in-process connector into this process's own AWS router with
//! its ordered call log (`connector`), and one HTTP helper with SigV4 signing for everything that
//! is not an SDK call (`http`), pod addresses the VPC CNI's way (`pod_ip`), and the controller's
//! client-side limiter and the SDK's sleeps on the world's clock (`throttle`).
//!
//! May call: `server::aws_router` (as a tower `Service`, no socket), `app` (the App it is aimed at),
//! the SDK crates. Must never: reach into `state` or `api` — everything goes over the wire
//! protocol, as for any other client.

pub mod clients;
pub mod connector;
pub mod http;
pub mod pod_ip;
pub mod throttle;

pub use clients::{AwsClients, Target};
pub use connector::{Call, CallLog, InProcess};

/// An SDK error as `what: Code: message` (the service's own words), or its debug form when the
/// call never reached the service.
pub fn sdk_err<E: aws_sdk_ec2::error::ProvideErrorMetadata + std::fmt::Debug>(
    what: &str,
    e: aws_sdk_ec2::error::SdkError<E, impl std::fmt::Debug>,
) -> String {
    match e.as_service_error() {
        Some(s) => format!("{what}: {}: {}", s.code().unwrap_or("?"), s.message().unwrap_or("")),
        None => format!("{what}: {e:?}"),
    }
}
