//! `lbsim plan`: the quota planner (placeholder while it is written).
