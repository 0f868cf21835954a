//! Which security groups a Service's NLB gets and what node rules refer to: the decision table
//! of lbc-reconciler.md §3.3 (rows A–H), with the effective manage-rules value of §6.2. Pure: the
//! caller resolves the existing LB, the annotation's groups and the flags first.

/// A security group in the model: a concrete id, or a token resolved during deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SgRef {
    /// The Service's own frontend ("managed") group, created by the SG synthesizer.
    Frontend,
    /// The cluster's shared backend group.
    Backend,
    /// A group the user named in `aws-load-balancer-security-groups` (resolved to an id).
    Id(String),
}

/// The source that node/ENI security-group rules for this Service's target groups use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeRules {
    /// No networking section: no node rules, existing ones revoked (rows F and legacy unmanaged).
    None,
    /// Legacy CIDR rules (§3.7.2): the LB has no security groups.
    LegacyCidr,
    /// One rule from this group (§3.7.1).
    FromGroup(SgRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgDecision {
    /// Row of the §3.3 table that applied, for events and tests.
    pub row: char,
    /// Groups to put on the LB, in order (empty: the LB has none).
    pub lb_groups: Vec<SgRef>,
    /// Whether the model contains the frontend group resource (`ManagedLBSecurityGroup`).
    pub frontend_in_model: bool,
    pub node_rules: NodeRules,
    /// Whether this Service holds the shared backend group (its lifetime, §4.8).
    pub backend_allocated: bool,
}

/// Everything the decision reads.
#[derive(Debug, Clone, Default)]
pub struct SgInputs {
    /// `None`: no LB exists for the stack yet; `Some(groups)`: the existing LB's groups.
    pub existing_lb_groups: Option<Vec<String>>,
    /// Feature gate `NLBSecurityGroup`.
    pub gate_nlb_security_group: bool,
    /// Annotation `aws-load-balancer-disable-nlb-sg` (v2.14.0+, `latest` profile only).
    pub disable_nlb_sg: bool,
    /// Resolved ids of `aws-load-balancer-security-groups`, in annotation order.
    pub user_groups: Option<Vec<String>>,
    /// `aws-load-balancer-manage-backend-security-group-rules` as parsed (`None`: absent).
    pub manage_rules_annotation: Option<bool>,
    /// HEAD flag `--enable-manage-backend-security-group-rules` (default false).
    pub manage_rules_flag_default: bool,
    /// `--enable-backend-security-group`.
    pub backend_sg_enabled: bool,
}

pub const CONFLICT: &str = "conflicting security groups configuration";
pub const BACKEND_REQUIRED: &str = "backendSG feature is required to manage worker node SG rules when frontendSG is manually specified";

pub fn decide(i: &SgInputs) -> Result<SgDecision, String> {
    let existing_without_groups = matches!(&i.existing_lb_groups, Some(g) if g.is_empty());
    let existing_with_groups = matches!(&i.existing_lb_groups, Some(g) if !g.is_empty());
    let sg_off = !i.gate_nlb_security_group || i.disable_nlb_sg;
    // Legacy meaning of the manage annotation (§6.2, last row): default true.
    let legacy = |row| SgDecision {
        row,
        lb_groups: Vec::new(),
        frontend_in_model: false,
        node_rules: if i.manage_rules_annotation.unwrap_or(true) { NodeRules::LegacyCidr } else { NodeRules::None },
        backend_allocated: false,
    };
    // Row A is checked first: an NLB created without groups stays legacy forever (§6.3).
    if existing_without_groups {
        return Ok(legacy('A'));
    }
    if sg_off {
        return if existing_with_groups { Err(CONFLICT.to_string()) } else { Ok(legacy('C')) };
    }
    match &i.user_groups {
        None if i.backend_sg_enabled => Ok(SgDecision {
            row: 'D',
            lb_groups: vec![SgRef::Frontend, SgRef::Backend],
            frontend_in_model: true,
            node_rules: NodeRules::FromGroup(SgRef::Backend),
            backend_allocated: true,
        }),
        None => Ok(SgDecision {
            row: 'E',
            lb_groups: vec![SgRef::Frontend],
            frontend_in_model: true,
            node_rules: NodeRules::FromGroup(SgRef::Frontend),
            backend_allocated: false,
        }),
        Some(ids) => {
            let manage = i.manage_rules_annotation.unwrap_or(i.manage_rules_flag_default);
            let user: Vec<SgRef> = ids.iter().cloned().map(SgRef::Id).collect();
            if !manage {
                Ok(SgDecision {
                    row: 'F',
                    lb_groups: user,
                    frontend_in_model: false,
                    node_rules: NodeRules::None,
                    backend_allocated: false,
                })
            } else if i.backend_sg_enabled {
                let mut lb_groups = user;
                lb_groups.push(SgRef::Backend);
                Ok(SgDecision {
                    row: 'G',
                    lb_groups,
                    frontend_in_model: false,
                    node_rules: NodeRules::FromGroup(SgRef::Backend),
                    backend_allocated: true,
                })
            } else {
                Err(BACKEND_REQUIRED.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> SgInputs {
        SgInputs { gate_nlb_security_group: true, backend_sg_enabled: true, ..SgInputs::default() }
    }

    #[test]
    fn row_a_existing_lb_without_groups_stays_legacy_whatever_else_is_set() {
        let i = SgInputs { existing_lb_groups: Some(vec![]), user_groups: Some(vec!["sg-1".into()]), ..base() };
        let d = decide(&i).unwrap();
        assert_eq!((d.row, d.lb_groups.len(), d.node_rules.clone()), ('A', 0, NodeRules::LegacyCidr));
        let off = SgInputs { manage_rules_annotation: Some(false), ..i };
        assert_eq!(decide(&off).unwrap().node_rules, NodeRules::None);
    }

    #[test]
    fn row_b_gate_off_with_grouped_lb_is_a_conflict() {
        let i = SgInputs { existing_lb_groups: Some(vec!["sg-1".into()]), gate_nlb_security_group: false, ..base() };
        assert_eq!(decide(&i).unwrap_err(), CONFLICT);
        let j = SgInputs { existing_lb_groups: Some(vec!["sg-1".into()]), disable_nlb_sg: true, ..base() };
        assert_eq!(decide(&j).unwrap_err(), CONFLICT);
    }

    #[test]
    fn row_c_gate_off_new_lb_is_legacy() {
        let d = decide(&SgInputs { gate_nlb_security_group: false, ..base() }).unwrap();
        assert_eq!((d.row, d.frontend_in_model, d.node_rules), ('C', false, NodeRules::LegacyCidr));
    }

    #[test]
    fn row_d_default_frontend_and_backend() {
        let d = decide(&base()).unwrap();
        assert_eq!(d.row, 'D');
        assert_eq!(d.lb_groups, vec![SgRef::Frontend, SgRef::Backend]);
        assert!(d.frontend_in_model && d.backend_allocated);
        assert_eq!(d.node_rules, NodeRules::FromGroup(SgRef::Backend));
        // The manage annotation is ignored with an auto frontend group (§6.2).
        assert_eq!(decide(&SgInputs { manage_rules_annotation: Some(false), ..base() }).unwrap().row, 'D');
    }

    #[test]
    fn row_e_backend_disabled_uses_the_frontend_for_node_rules() {
        let d = decide(&SgInputs { backend_sg_enabled: false, ..base() }).unwrap();
        assert_eq!((d.row, d.lb_groups.clone(), d.node_rules), ('E', vec![SgRef::Frontend], NodeRules::FromGroup(SgRef::Frontend)));
        assert!(!d.backend_allocated);
    }

    #[test]
    fn row_f_user_groups_unmanaged() {
        let d = decide(&SgInputs { user_groups: Some(vec!["sg-b".into(), "sg-a".into()]), ..base() }).unwrap();
        assert_eq!(d.row, 'F');
        assert_eq!(d.lb_groups, vec![SgRef::Id("sg-b".into()), SgRef::Id("sg-a".into())]);
        assert_eq!(d.node_rules, NodeRules::None);
        assert!(!d.frontend_in_model);
    }

    #[test]
    fn row_g_user_groups_managed_adds_backend() {
        let i = SgInputs { user_groups: Some(vec!["sg-u".into()]), manage_rules_annotation: Some(true), ..base() };
        let d = decide(&i).unwrap();
        assert_eq!(d.row, 'G');
        assert_eq!(d.lb_groups, vec![SgRef::Id("sg-u".into()), SgRef::Backend]);
        assert!(d.backend_allocated);
        // HEAD: the flag supplies the default when the annotation is absent.
        let flag = SgInputs { manage_rules_annotation: None, manage_rules_flag_default: true, ..i };
        assert_eq!(decide(&flag).unwrap().row, 'G');
    }

    #[test]
    fn row_h_managed_user_groups_need_the_backend_group() {
        let i =
            SgInputs { user_groups: Some(vec!["sg-u".into()]), manage_rules_annotation: Some(true), backend_sg_enabled: false, ..base() };
        assert_eq!(decide(&i).unwrap_err(), BACKEND_REQUIRED);
    }
}
