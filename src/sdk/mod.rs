//! AWS SDK clients for code inside lbsim that acts as an AWS *client* (the reconciler, fixture
//! loading): the in-process connector into lbsim's own `Router` (no socket), a recording layer
//! that keeps the ordered list of calls, and builders for aws-sdk-ec2 / -elasticloadbalancingv2
//! clients aimed either at this process or at any endpoint URL.
//!
//! May call: `server::router` (as a tower `Service`), the SDK crates. Must never: reach into
//! `state` or `api` — everything goes over the AWS wire protocol, as for any other SDK user.

pub mod clients;
pub mod connector;

pub use clients::{AwsClients, Target};
pub use connector::{Call, CallLog, InProcess};
