//! A failed reconcile, named after the step that failed (the kube-rs shape): `reason()` is the
//! Event reason the controller records (lbc-reconciler.md §7.3, lbc-ingress.md §7.1; empty for
//! failures it records no Event for) and `Display` is its message, so the Event, the log line
//! and a scenario's expectation all read the same text.

/// What failed, with the cause as the controller words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Reading AWS state or building the desired stack (bad annotations, unknown subnets, …).
    #[error("Failed build model due to {0}")]
    BuildModel(String),
    /// The Service vanished before its finalizer could be added.
    #[error("Failed add finalizer due to {0}")]
    AddFinalizer(String),
    /// Creating, changing or deleting AWS resources (an AWS error, a timeout waiting on a binding).
    #[error("Failed deploy model due to {0}")]
    DeployModel(String),
    /// An IngressGroup could not be loaded (an invalid class on a finalized member, two default
    /// IngressClasses, a bad `group.order`): returned without an Event (lbc-ingress.md §5.1).
    #[error("{0}")]
    LoadGroup(String),
    /// Releasing the shared backend group failed (returned without an Event).
    #[error("{0}")]
    ReleaseBackendSg(String),
    /// Writing an Ingress's `status.loadBalancer`.
    #[error("Failed update status due to {0}")]
    UpdateStatus(String),
    /// An Ingress's group name is invalid (the event handler records this, lbc-ingress.md §1.3).
    #[error("failed load groupID due to {0}")]
    LoadGroupId(String),
}

impl Error {
    /// The Event reason the controller records for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::BuildModel(_) => "FailedBuildModel",
            Error::AddFinalizer(_) => "FailedAddFinalizer",
            Error::DeployModel(_) => "FailedDeployModel",
            Error::LoadGroup(_) | Error::ReleaseBackendSg(_) => "",
            Error::UpdateStatus(_) => "FailedUpdateStatus",
            Error::LoadGroupId(_) => "FailedLoadGroupID",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_messages_are_the_controllers() {
        let e = Error::DeployModel("InvalidGroup.NotFound: nope".into());
        assert_eq!((e.reason(), e.to_string().as_str()), ("FailedDeployModel", "Failed deploy model due to InvalidGroup.NotFound: nope"));
        assert_eq!(Error::BuildModel("x".into()).reason(), "FailedBuildModel");
        assert_eq!(Error::AddFinalizer("x".into()).to_string(), "Failed add finalizer due to x");
    }
}
