//! The one error type of the API layer and the one table of AWS error codes.
//!
//! Owns: `ErrorCode` (each variant spells its AWS code exactly), its HTTP status and fault side,
//! and the named constructors that hold AWS's message texts once (aws-api.md §2.0, §2.5).
//! May call: nothing but std. Rendering the envelope is `wire`'s job, never this module's.

use std::borrow::Cow;
use std::fmt;

/// Who is at fault, as the Query protocol's `<Type>` element says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Sender,
    Receiver,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $status:literal;)*) => {
        /// Every AWS error code lbsim answers with. `as_str` is the exact wire spelling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant,)* }
        impl ErrorCode {
            pub fn as_str(self) -> &'static str { match self { $(ErrorCode::$variant => $code,)* } }
            /// HTTP status as AWS sends it (aws-api.md §1.5; 400 unless noted).
            pub fn http_status(self) -> u16 { match self { $(ErrorCode::$variant => $status,)* } }
            /// Looks a code up by its wire spelling (used by fault injection).
            pub fn from_code(s: &str) -> Option<ErrorCode> {
                match s { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    // Protocol and generic input errors, shared by every service.
    InvalidAction = "InvalidAction", 400;
    MissingParameter = "MissingParameter", 400;
    MissingAction = "MissingAction", 400;
    InvalidParameterValue = "InvalidParameterValue", 400;
    InvalidParameter = "InvalidParameter", 400;
    InvalidParameterCombination = "InvalidParameterCombination", 400;
    MalformedQueryString = "MalformedQueryString", 400;
    RequestEntityTooLarge = "RequestEntityTooLarge", 413;
    UnknownService = "UnknownService", 400;
    InvalidNextToken = "InvalidNextToken", 400;
    ValidationError = "ValidationError", 400;
    DryRunOperation = "DryRunOperation", 412;
    UnauthorizedOperation = "UnauthorizedOperation", 403;
    RequestLimitExceeded = "RequestLimitExceeded", 503;
    Throttling = "Throttling", 400;
    InternalError = "InternalError", 500;
    ServiceUnavailable = "ServiceUnavailable", 503;
    // Authentication (SigV4), shared by every service; statuses from AWS's common-errors pages
    // except AuthFailure's 401 (aws-api.md §1.5, unverified).
    AuthFailure = "AuthFailure", 401;
    SignatureDoesNotMatch = "SignatureDoesNotMatch", 403;
    IncompleteSignature = "IncompleteSignature", 400;
    InvalidClientTokenId = "InvalidClientTokenId", 403;
    MissingAuthenticationToken = "MissingAuthenticationToken", 403;
    RequestExpired = "RequestExpired", 400;
    RequestTimeout = "RequestTimeout", 400;
    // EC2: security groups and rules.
    InvalidGroupNotFound = "InvalidGroup.NotFound", 400;
    InvalidGroupIdMalformed = "InvalidGroupId.Malformed", 400;
    InvalidGroupDuplicate = "InvalidGroup.Duplicate", 400;
    InvalidGroupReserved = "InvalidGroup.Reserved", 400;
    InvalidPermissionDuplicate = "InvalidPermission.Duplicate", 400;
    InvalidPermissionNotFound = "InvalidPermission.NotFound", 400;
    InvalidPermissionMalformed = "InvalidPermission.Malformed", 400;
    InvalidSecurityGroupRuleIdNotFound = "InvalidSecurityGroupRuleId.NotFound", 400;
    InvalidSecurityGroupRuleIdMalformed = "InvalidSecurityGroupRuleId.Malformed", 400;
    RulesPerSecurityGroupLimitExceeded = "RulesPerSecurityGroupLimitExceeded", 400;
    SecurityGroupLimitExceeded = "SecurityGroupLimitExceeded", 400;
    SecurityGroupsPerInterfaceLimitExceeded = "SecurityGroupsPerInterfaceLimitExceeded", 400;
    SecurityGroupsPerInstanceLimitExceeded = "SecurityGroupsPerInstanceLimitExceeded", 400;
    DependencyViolation = "DependencyViolation", 400;
    CannotDelete = "CannotDelete", 400;
    VpcIdNotSpecified = "VPCIdNotSpecified", 400;
    InvalidPrefixListIdNotFound = "InvalidPrefixListID.NotFound", 400;
    InvalidPrefixListIdMalformed = "InvalidPrefixListId.Malformed", 400;
    // EC2: VPCs, subnets, instances, interfaces, tags.
    InvalidVpcIdNotFound = "InvalidVpcID.NotFound", 400;
    InvalidVpcIdMalformed = "InvalidVpcID.Malformed", 400;
    InvalidVpcRange = "InvalidVpc.Range", 400;
    VpcLimitExceeded = "VpcLimitExceeded", 400;
    InvalidSubnetIdNotFound = "InvalidSubnetID.NotFound", 400;
    InvalidSubnetIdMalformed = "InvalidSubnetID.Malformed", 400;
    InvalidSubnetRange = "InvalidSubnet.Range", 400;
    InvalidSubnetConflict = "InvalidSubnet.Conflict", 400;
    SubnetLimitExceeded = "SubnetLimitExceeded", 400;
    InvalidInstanceIdNotFound = "InvalidInstanceID.NotFound", 400;
    InvalidInstanceIdMalformed = "InvalidInstanceID.Malformed", 400;
    InvalidInstanceId = "InvalidInstanceID", 400;
    IncorrectInstanceState = "IncorrectInstanceState", 400;
    InvalidNetworkInterfaceIdNotFound = "InvalidNetworkInterfaceID.NotFound", 400;
    InvalidNetworkInterfaceIdMalformed = "InvalidNetworkInterfaceId.Malformed", 400;
    InvalidNetworkInterfaceInUse = "InvalidNetworkInterface.InUse", 400;
    InvalidAvailabilityZone = "InvalidAvailabilityZone", 400;
    InsufficientFreeAddressesInSubnet = "InsufficientFreeAddressesInSubnet", 400;
    InvalidIpAddressInUse = "InvalidIPAddress.InUse", 400;
    OperationNotPermitted = "OperationNotPermitted", 400;
    InvalidId = "InvalidID", 400;
    TagLimitExceeded = "TagLimitExceeded", 400;
    InvalidAmiIdMalformed = "InvalidAMIID.Malformed", 400;
    NetworkInterfaceLimitExceeded = "NetworkInterfaceLimitExceeded", 400;
    MissingInput = "MissingInput", 400;
    InvalidAttachmentIdNotFound = "InvalidAttachmentID.NotFound", 400;
    // ELBv2 (aws-api.md §2.5; statuses from the model's httpStatusCode).
    LoadBalancerNotFound = "LoadBalancerNotFound", 400;
    TargetGroupNotFound = "TargetGroupNotFound", 400;
    ListenerNotFound = "ListenerNotFound", 400;
    RuleNotFound = "RuleNotFound", 400;
    DuplicateLoadBalancerName = "DuplicateLoadBalancerName", 400;
    DuplicateTargetGroupName = "DuplicateTargetGroupName", 400;
    DuplicateListener = "DuplicateListener", 400;
    DuplicateTagKeys = "DuplicateTagKeys", 400;
    TooManyLoadBalancers = "TooManyLoadBalancers", 400;
    TooManyTargetGroups = "TooManyTargetGroups", 400;
    TooManyListeners = "TooManyListeners", 400;
    TooManyTargets = "TooManyTargets", 400;
    TooManyRegistrationsForTargetId = "TooManyRegistrationsForTargetId", 400;
    TooManyTags = "TooManyTags", 400;
    TooManyCertificates = "TooManyCertificates", 400;
    TargetGroupAssociationLimit = "TargetGroupAssociationLimit", 400;
    InvalidSecurityGroup = "InvalidSecurityGroup", 400;
    InvalidConfigurationRequest = "InvalidConfigurationRequest", 400;
    InvalidSubnet = "InvalidSubnet", 400;
    SubnetNotFound = "SubnetNotFound", 400;
    InvalidTarget = "InvalidTarget", 400;
    IncompatibleProtocols = "IncompatibleProtocols", 400;
    UnsupportedProtocol = "UnsupportedProtocol", 400;
    InvalidLoadBalancerAction = "InvalidLoadBalancerAction", 400;
    ResourceInUse = "ResourceInUse", 400;
    CertificateNotFound = "CertificateNotFound", 400;
    SslPolicyNotFound = "SSLPolicyNotFound", 400;
    InvalidScheme = "InvalidScheme", 400;
    AllocationIdNotFound = "AllocationIdNotFound", 400;
    AvailabilityZoneNotSupported = "AvailabilityZoneNotSupported", 400;
    PriorRequestNotComplete = "PriorRequestNotComplete", 429;
    TooManyActions = "TooManyActions", 400;
    PriorityInUse = "PriorityInUse", 400;
    TooManyRules = "TooManyRules", 400;
    TooManyUniqueTargetGroupsPerLoadBalancer = "TooManyUniqueTargetGroupsPerLoadBalancer", 400;
    AlpnPolicyNotFound = "ALPNPolicyNotFound", 400;
    HealthUnavailable = "HealthUnavailable", 500;
    // EKS (rest-json).
    ResourceNotFoundException = "ResourceNotFoundException", 404;
    InvalidParameterException = "InvalidParameterException", 400;
    // Admin API fault injection with a code not in this table; the spelling is in `ApiError::custom_code`.
    Injected = "Injected", 400;
}

impl ErrorCode {
    /// Sender for client faults (4xx), Receiver for server faults (5xx).
    pub fn fault(self) -> Fault {
        if self.http_status() >= 500 { Fault::Receiver } else { Fault::Sender }
    }
}

/// An AWS error: a code from the table and the message AWS would send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Overrides the table's status; only injected faults set it.
    pub status: Option<u16>,
    /// A code outside the table, spelled as the user gave it; only injected faults set it.
    pub custom_code: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { code, message: message.into(), status: None, custom_code: None }
    }

    /// An injected error: a code from the table when it is one (keeping its status unless
    /// `status` says otherwise), or any other code string as given.
    pub fn injected(code: &str, message: impl Into<Cow<'static, str>>, status: Option<u16>) -> Self {
        let (known, custom_code) = match ErrorCode::from_code(code) {
            Some(c) => (c, None),
            None => (ErrorCode::Injected, Some(code.to_string())),
        };
        ApiError { code: known, message: message.into(), status, custom_code }
    }

    /// The code as sent on the wire.
    pub fn code_str(&self) -> &str {
        self.custom_code.as_deref().unwrap_or(self.code.as_str())
    }

    pub fn http_status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.http_status())
    }

    /// Sender for client faults (4xx), Receiver for server faults (5xx), by the status sent.
    pub fn fault(&self) -> Fault {
        if self.http_status() >= 500 { Fault::Receiver } else { Fault::Sender }
    }

    // ---- generic ---------------------------------------------------------------------------

    pub fn missing(param: &str) -> Self {
        Self::new(ErrorCode::MissingParameter, format!("The request must contain the parameter {param}"))
    }
    pub fn invalid_value(param: &str, value: &str) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, format!("Value ({value}) for parameter {param} is invalid."))
    }
    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }
    pub fn bad_filter(name: &str) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, format!("The filter '{name}' is invalid"))
    }
    pub fn dry_run() -> Self {
        Self::new(ErrorCode::DryRunOperation, "Request would have succeeded, but DryRun flag is set.")
    }
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalError, "An internal error has occurred")
    }
    pub fn bad_next_token(token: &str) -> Self {
        Self::new(ErrorCode::InvalidNextToken, format!("The token '{token}' is invalid."))
    }
    /// ELBv2/STS generic validation, in AWS's "1 validation error detected" wording.
    pub fn validation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }
    pub fn constraint(value: &str, member: &str, constraint: &str) -> Self {
        Self::validation(format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"))
    }

    // ---- authentication (`ec2` picks EC2's wording where it differs from the Query services') --

    /// An access key lbsim does not know (or an account over `max_accounts`). EC2 says
    /// AuthFailure (OBS aws-sdk-java-v2#2981); STS and ELBv2 InvalidClientTokenId (OBS).
    pub fn unknown_access_key(ec2: bool) -> Self {
        if ec2 {
            Self::new(ErrorCode::AuthFailure, "AWS was not able to validate the provided access credentials")
        } else {
            Self::new(ErrorCode::InvalidClientTokenId, "The security token included in the request is invalid.")
        }
    }
    /// OBS in every service (EC2: vagrant-aws#138, 403).
    pub fn signature_mismatch() -> Self {
        Self::new(
            ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    }
    /// OBS for STS and IAM ("Credential should be scoped to a valid region, not 'x'. ").
    pub fn scope_region(region: &str) -> Self {
        Self::new(ErrorCode::SignatureDoesNotMatch, format!("Credential should be scoped to a valid region, not '{region}'. "))
    }
    /// [unverified] wording, shaped like the Region text.
    pub fn scope_service(expected: &str) -> Self {
        Self::new(ErrorCode::SignatureDoesNotMatch, format!("Credential should be scoped to correct service: '{expected}'. "))
    }
    /// [unverified] wording.
    pub fn scope_terminator(got: &str) -> Self {
        Self::new(
            ErrorCode::SignatureDoesNotMatch,
            format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{got}'. "),
        )
    }
    /// [unverified] wording.
    pub fn scope_date(scope: &str, date: &str, stamp: &str) -> Self {
        Self::new(
            ErrorCode::SignatureDoesNotMatch,
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope}' != '{date}', from '{stamp}'."
            ),
        )
    }
    /// A malformed `Authorization` header ([unverified] wording, after AWS's
    /// "Authorization header requires 'X' parameter").
    pub fn incomplete_signature(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::IncompleteSignature, message)
    }
    /// An unsigned request where a signature is required (OBS for the Query services; EC2's
    /// answer is [unverified]).
    pub fn missing_authentication() -> Self {
        Self::new(ErrorCode::MissingAuthenticationToken, "Request is missing Authentication Token")
    }
    /// A signature time outside the allowed skew. EC2: RequestExpired (OBS aws-sdk-java#1443,
    /// 400); the Query services: SignatureDoesNotMatch with the times (OBS aws-cli#6676).
    pub fn signature_expired(ec2: bool, stamp: &str, limit: &str, now: &str, minutes: i64, future: bool) -> Self {
        if ec2 {
            return Self::new(ErrorCode::RequestExpired, "Request has expired.");
        }
        let message = if future {
            format!("Signature not yet current: {stamp} is still later than {limit} ({now} + {minutes} min.)")
        } else {
            format!("Signature expired: {stamp} is now earlier than {limit} ({now} - {minutes} min.)")
        };
        Self::new(ErrorCode::SignatureDoesNotMatch, message)
    }
    /// A request body that did not arrive within the server's body timeout ([unverified]: S3's
    /// code and text; the Query services do not document one).
    pub fn request_timeout() -> Self {
        Self::new(
            ErrorCode::RequestTimeout,
            "Your socket connection to the server was not read from or written to within the timeout period.",
        )
    }

    // ---- EC2 security groups (aws-api.md §2.0) ---------------------------------------------

    pub fn sg_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidGroupNotFound, format!("The security group '{id}' does not exist"))
    }
    pub fn sg_name_not_found(name: &str, vpc: &str, default_vpc: bool) -> Self {
        let which = if default_vpc { "default VPC" } else { "VPC" };
        Self::new(ErrorCode::InvalidGroupNotFound, format!("The security group '{name}' does not exist in {which} '{vpc}'"))
    }
    pub fn malformed_id(code: ErrorCode, id: &str, prefix: &str) -> Self {
        Self::new(code, format!("Invalid id: \"{id}\" (expecting \"{prefix}-...\")"))
    }
    pub fn sg_duplicate(name: &str, vpc: &str) -> Self {
        Self::new(ErrorCode::InvalidGroupDuplicate, format!("The security group '{name}' already exists for VPC '{vpc}'"))
    }
    pub fn cannot_delete_default(id: &str) -> Self {
        Self::new(ErrorCode::CannotDelete, format!("the specified group: \"{id}\" name: \"default\" cannot be deleted by a user"))
    }
    pub fn dependency(id: &str) -> Self {
        Self::new(ErrorCode::DependencyViolation, format!("resource {id} has a dependent object"))
    }
    pub fn rule_duplicate(peer_text: &str) -> Self {
        Self::new(ErrorCode::InvalidPermissionDuplicate, format!("the specified rule \"{peer_text}\" already exists"))
    }
    pub fn rule_not_found() -> Self {
        Self::new(ErrorCode::InvalidPermissionNotFound, "The specified rule does not exist in this security group.")
    }
    pub fn rule_limit() -> Self {
        Self::new(ErrorCode::RulesPerSecurityGroupLimitExceeded, "The maximum number of rules per security group has been reached.")
    }
    pub fn sg_limit() -> Self {
        Self::new(ErrorCode::SecurityGroupLimitExceeded, "The maximum number of security groups has been reached.")
    }
    pub fn sgs_per_interface(max: u32) -> Self {
        Self::new(
            ErrorCode::SecurityGroupsPerInterfaceLimitExceeded,
            format!("The maximum number of security groups per interface has been reached. The limit is {max}."),
        )
    }
    pub fn sgs_per_instance(max: u32) -> Self {
        Self::new(
            ErrorCode::SecurityGroupsPerInstanceLimitExceeded,
            format!("The maximum number of security groups per instance has been reached. The limit is {max}."),
        )
    }
    pub fn rule_id_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidSecurityGroupRuleIdNotFound, format!("The security group rule ID '{id}' does not exist"))
    }
    pub fn tag_limit() -> Self {
        Self::new(ErrorCode::TagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
    }

    // ---- EC2 VPC, subnet, instance, interface ------------------------------------------------

    pub fn vpc_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidVpcIdNotFound, format!("The vpc ID '{id}' does not exist"))
    }
    pub fn subnet_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidSubnetIdNotFound, format!("The subnet ID '{id}' does not exist"))
    }
    pub fn instance_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidInstanceIdNotFound, format!("The instance ID '{id}' does not exist"))
    }
    pub fn instances_not_found(ids: &[&str]) -> Self {
        Self::new(ErrorCode::InvalidInstanceIdNotFound, format!("The instance IDs '{}' do not exist", ids.join(", ")))
    }
    pub fn eni_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidNetworkInterfaceIdNotFound, format!("The networkInterface ID '{id}' does not exist"))
    }
    pub fn prefix_list_not_found(id: &str) -> Self {
        Self::new(ErrorCode::InvalidPrefixListIdNotFound, format!("The prefix list ID '{id}' does not exist"))
    }
    /// CreateTags/DeleteTags on an id that is not a well-formed id of a taggable kind
    /// (OBS: `InvalidID: The ID 'i-eCHmOTcEW0OZ9KbNe' is not valid`, kubernetes/cloud-provider-aws#1387).
    pub fn invalid_id(id: &str) -> Self {
        Self::new(ErrorCode::InvalidId, format!("The ID '{id}' is not valid"))
    }
    /// DeleteNetworkInterface on an attached interface (OBS terraform logs).
    pub fn eni_in_use(id: &str) -> Self {
        Self::new(ErrorCode::InvalidNetworkInterfaceInUse, format!("Network interface '{id}' is currently in use."))
    }
    /// RunInstances / CreateNetworkInterface with a group of another VPC (OBS: AWS CLI, terraform).
    pub fn sg_subnet_mismatch(sg: &str, subnet: &str) -> Self {
        Self::new(ErrorCode::InvalidParameter, format!("Security group {sg} and subnet {subnet} belong to different networks."))
    }
    /// ModifyNetworkInterfaceAttribute / ModifyInstanceAttribute with a group of another VPC
    /// (OBS: cluster-api-provider-aws#3943 log).
    pub fn sg_other_network() -> Self {
        Self::new(ErrorCode::InvalidGroupNotFound, "You have specified two resources that belong to different networks.")
    }
    pub fn eni_limit() -> Self {
        // [unverified] text; the code is EC2-ERR's.
        Self::new(ErrorCode::NetworkInterfaceLimitExceeded, "The maximum number of network interfaces has been reached.")
    }

    // ---- ELBv2 (aws-api.md §2.5; texts marked OBS there are verbatim, the rest [unverified]) --

    pub fn lb_not_found() -> Self {
        Self::new(ErrorCode::LoadBalancerNotFound, "One or more load balancers not found")
    }
    pub fn lb_names_not_found(names: &[&str]) -> Self {
        Self::new(ErrorCode::LoadBalancerNotFound, format!("Load balancers '[{}]' not found", names.join(", ")))
    }
    pub fn tg_not_found() -> Self {
        Self::new(ErrorCode::TargetGroupNotFound, "One or more target groups not found")
    }
    /// [unverified] shaped like the load-balancer text.
    pub fn tg_names_not_found(names: &[&str]) -> Self {
        Self::new(ErrorCode::TargetGroupNotFound, format!("Target groups '[{}]' not found", names.join(", ")))
    }
    pub fn listener_not_found() -> Self {
        Self::new(ErrorCode::ListenerNotFound, "One or more listeners not found")
    }
    /// [unverified] shaped like the listener text.
    pub fn elb_rule_not_found() -> Self {
        Self::new(ErrorCode::RuleNotFound, "One or more rules not found")
    }
    /// [unverified] `kind` is "load balancer", "target group" or "listener".
    pub fn bad_elb_arn(arn: &str, kind: &str) -> Self {
        Self::validation(format!("'{arn}' is not a valid {kind} ARN"))
    }
    pub fn duplicate_lb(name: &str) -> Self {
        Self::new(
            ErrorCode::DuplicateLoadBalancerName,
            format!("A load balancer with the same name '{name}' exists, but with different settings"),
        )
    }
    pub fn duplicate_tg(name: &str) -> Self {
        Self::new(
            ErrorCode::DuplicateTargetGroupName,
            format!("A target group with the same name '{name}' exists, but with different settings"),
        )
    }
    pub fn duplicate_listener(lb_arn: &str) -> Self {
        Self::new(ErrorCode::DuplicateListener, format!("A listener already exists on this port for this load balancer '{lb_arn}'"))
    }
    pub fn tg_in_use(arn: &str) -> Self {
        Self::new(ErrorCode::ResourceInUse, format!("Target group '{arn}' is currently in use by a listener or a rule"))
    }
    pub fn nlb_created_without_sgs() -> Self {
        Self::new(
            ErrorCode::InvalidConfigurationRequest,
            "You cannot set security groups on a Network Load Balancer which was created without any security groups.",
        )
    }
    pub fn nlb_sgs_unsupported() -> Self {
        Self::new(ErrorCode::InvalidConfigurationRequest, "Security groups are not supported for load balancers of type 'network'")
    }
    pub fn sg_not_in_vpc(sg: &str, vpc: &str) -> Self {
        Self::new(ErrorCode::InvalidConfigurationRequest, format!("Security group '{sg}' does not belong to VPC '{vpc}'"))
    }
    /// [unverified]
    pub fn elb_sg_not_found(sg: &str) -> Self {
        Self::new(ErrorCode::InvalidSecurityGroup, format!("Security group '{sg}' does not exist"))
    }
    /// [unverified] code and text.
    pub fn too_many_lb_sgs(max: u64) -> Self {
        Self::new(
            ErrorCode::InvalidConfigurationRequest,
            format!("You cannot associate more than {max} security groups with a load balancer"),
        )
    }
    /// [unverified] code and text: Terraform reports a ValidationError.
    pub fn cannot_remove_all_sgs() -> Self {
        Self::validation("You cannot remove all security groups from a Network Load Balancer which was created with security groups")
    }
    /// [unverified]
    pub fn elb_subnet_not_found(id: &str) -> Self {
        Self::new(ErrorCode::SubnetNotFound, format!("The subnet ID '{id}' is not valid"))
    }
    /// OBS; the account-wide text AWS sends for the load-balancer quota [confirm for ELBv2].
    pub fn too_many_lbs(account: &str) -> Self {
        Self::new(ErrorCode::TooManyLoadBalancers, format!("Exceeded quota of account {account}"))
    }
    pub fn too_many_tgs() -> Self {
        Self::new(
            ErrorCode::TooManyTargetGroups,
            "You've reached the limit on the number of target groups for your Amazon Web Services account.",
        )
    }
    pub fn too_many_listeners() -> Self {
        Self::new(ErrorCode::TooManyListeners, "You've reached the limit on the number of listeners per load balancer.")
    }
    pub fn too_many_targets() -> Self {
        Self::new(ErrorCode::TooManyTargets, "You've reached the limit on the number of targets.")
    }
    pub fn too_many_registrations() -> Self {
        Self::new(
            ErrorCode::TooManyRegistrationsForTargetId,
            "You've reached the limit on the number of times a target can be registered with a load balancer.",
        )
    }
    pub fn too_many_elb_tags() -> Self {
        Self::new(ErrorCode::TooManyTags, "You've reached the limit on the number of tags for this resource.")
    }
    pub fn duplicate_tag_keys() -> Self {
        Self::new(ErrorCode::DuplicateTagKeys, "A tag key was specified more than once.")
    }
    pub fn too_many_certificates() -> Self {
        Self::new(ErrorCode::TooManyCertificates, "You've reached the limit on the number of certificates per load balancer.")
    }
    /// OBS (prefix); the ARN list at the end is [unverified].
    pub fn tg_association_limit(arn: &str) -> Self {
        Self::new(
            ErrorCode::TargetGroupAssociationLimit,
            format!("The following target groups cannot be associated with more than one load balancer: {arn}"),
        )
    }
    /// OBS (prefix); the tail is [unverified].
    pub fn incompatible_protocols(tg_arn: &str) -> Self {
        Self::new(
            ErrorCode::IncompatibleProtocols,
            format!("The listener and its associated target group '{tg_arn}' have incompatible protocols"),
        )
    }
    /// lbsim emulates Network and Application Load Balancers; other types and features are
    /// refused, never half-served.
    pub fn elb_type_not_emulated(what: &str) -> Self {
        Self::new(
            ErrorCode::InvalidConfigurationRequest,
            format!(
                "{what} is not emulated: lbsim serves Network and Application Load Balancers (types 'network' and 'application') and their target groups"
            ),
        )
    }

    // ---- ELBv2: Application Load Balancer rules (lbc-ingress.md §8; [unverified] unless OBS) --

    pub fn priority_in_use(priority: u32) -> Self {
        Self::new(ErrorCode::PriorityInUse, format!("Priority '{priority}' is currently in use"))
    }
    /// OBS (LBC #2011) up to the ARN; the tail is [unverified].
    pub fn too_many_rules(lb_arn: &str) -> Self {
        Self::new(ErrorCode::TooManyRules, format!("The maximum number of rules on load balancer '{lb_arn}' has been reached"))
    }
    pub fn too_many_actions() -> Self {
        Self::new(ErrorCode::TooManyActions, "You've reached the limit on the number of actions per rule.")
    }
    pub fn too_many_unique_tgs(lb_arn: &str) -> Self {
        Self::new(
            ErrorCode::TooManyUniqueTargetGroupsPerLoadBalancer,
            format!("You've reached the limit on the number of unique target groups per load balancer '{lb_arn}'"),
        )
    }
    /// [unverified] code: AWS's limit is 5 target groups per forward action.
    pub fn too_many_tgs_per_action(max: u64) -> Self {
        Self::new(ErrorCode::TooManyTargetGroups, format!("A forward action can have at most '{max}' target groups"))
    }
    /// OBS (aws-cdk#10065).
    pub fn too_many_condition_values(max: u64) -> Self {
        Self::validation(format!("A rule can only have '{max}' condition values"))
    }
    /// Shaped like the condition-value text.
    pub fn too_many_wildcards(max: u64) -> Self {
        Self::validation(format!("A rule can only have '{max}' wildcards"))
    }
    pub fn invalid_lb_action(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidLoadBalancerAction, message)
    }
    pub fn unsupported_protocol(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnsupportedProtocol, message)
    }
    pub fn default_rule_not_permitted(what: &str) -> Self {
        Self::new(ErrorCode::OperationNotPermitted, format!("Default rules cannot be {what}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_keep_aws_spelling() {
        for code in [ErrorCode::InvalidGroupNotFound, ErrorCode::InvalidVpcIdNotFound, ErrorCode::VpcIdNotSpecified] {
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::InvalidGroupIdMalformed.as_str(), "InvalidGroupId.Malformed");
        assert_eq!(ErrorCode::InvalidNetworkInterfaceIdMalformed.as_str(), "InvalidNetworkInterfaceId.Malformed");
        assert_eq!(ErrorCode::DryRunOperation.http_status(), 412);
        assert_eq!(ErrorCode::InternalError.fault(), Fault::Receiver);
        assert_eq!(ErrorCode::LoadBalancerNotFound.http_status(), 400);
    }

    #[test]
    fn injected_codes_keep_known_statuses_or_spell_custom_ones() {
        let e = ApiError::injected("RequestLimitExceeded", "Request limit exceeded.", None);
        assert_eq!((e.code, e.code_str(), e.http_status()), (ErrorCode::RequestLimitExceeded, "RequestLimitExceeded", 503));
        let e = ApiError::injected("SlowDown", "Please reduce your request rate.", Some(503));
        assert_eq!((e.code, e.code_str(), e.http_status(), e.fault()), (ErrorCode::Injected, "SlowDown", 503, Fault::Receiver));
    }
}
