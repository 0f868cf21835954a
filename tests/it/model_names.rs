//! The model-name check: every element lbsim writes in a success response must exist in the
//! botocore model's output shape of that action, at that place in the tree, with a value of the
//! member's type. SDKs parse by name, so a misspelt or misplaced element is not an error to them:
//! it is a field that silently stays empty. This turns such a typo into a failing test.
//!
//! The models are the trimmed extracts in fixtures/models/ (written by tests/tools/trim_models.py
//! from the installed botocore; no Python runs at `cargo test` time). The check runs over every
//! success response of the golden suite (wire_golden.rs) and over a scripted run here that calls
//! every served action through the in-process router (fixtures/models/scripted_run.steps).
//!
//! Rules, as botocore's EC2 and Query parsers read a response:
//! - the root is `<ActionResponse>`; EC2 puts `requestId` and the output members under it, Query
//!   puts the members under `<resultWrapper>` next to `ResponseMetadata/RequestId`;
//! - a structure member is named by its `locationName`, else by its member name, and appears once;
//! - a list's children are all named by the list member's `locationName`, else `member`;
//! - a map is `entry` elements holding `key` and `value` (or their `locationName`s);
//! - a scalar holds text only: `true`/`false` for booleans, an integer for integer and long, a
//!   number for float and double, an ISO-8601 UTC instant for timestamps, a listed value for
//!   enums.
//!
//! Two things AWS sends that the model does not list are allowed, each named where it is
//! decided: an EC2 `<return>true</return>` directly under the root (see `check`), and the enum
//! values in `ENUM_EXTRA`. Nothing else is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use chrono::DateTime;
use lbsim::clock::ManualClock;
use serde_json::Value;

use crate::wire_golden::{self, Step};

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/models");
const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");

/// Enum values AWS sends that the model's enum leaves out: (shape, value, where AWS shows it).
pub const ENUM_EXTRA: &[(&str, &str, &str)] = &[
    (
        "NetworkInterfaceStatus",
        "pending",
        "CreateNetworkInterface's answer before the interface is available: botocore's own ec2 examples-1.json shows Status pending",
    ),
    (
        "AttachmentStatus",
        "available",
        "an attached internet gateway: botocore's ec2 examples-1.json (DescribeInternetGateways) shows Attachments State available",
    ),
];

/// Served actions the scripted run (unsigned customer calls) cannot get a success from, and why.
/// Each still has golden cases: a success signed as a service, or the error it always answers.
pub const NO_SCRIPTED_SUCCESS: &[(&str, &str)] = &[
    ("ValidateSecurityGroupQuotasForInterface", "only AWS services may call it; its golden case signs with a service key"),
    ("GetCoipPoolUsage", "lbsim holds no customer-owned IP pools, so every pool id is InvalidCoipPoolId.NotFound"),
];

/// Served actions that never succeed in lbsim (they need a resource lbsim never holds): their
/// golden case is the error they answer with.
pub const NEVER_SUCCEEDS: &[&str] = &["GetCoipPoolUsage"];

/// A served service: the signing name lbsim answers for (the golden fixtures' directory), the
/// extract's name (botocore's), and the dispatch table that lists its actions.
pub struct Svc {
    pub signing_name: &'static str,
    pub model: &'static str,
    table: &'static str,
}

pub const SERVICES: &[Svc] = &[
    Svc { signing_name: "ec2", model: "ec2", table: "ec2/mod.rs" },
    Svc { signing_name: "elasticloadbalancing", model: "elbv2", table: "elbv2/mod.rs" },
    Svc { signing_name: "sts", model: "sts", table: "sts.rs" },
];

pub fn svc(signing_name: &str) -> Option<&'static Svc> {
    SERVICES.iter().find(|s| s.signing_name == signing_name)
}

/// The actions a dispatch table serves: its `"Action" =>` arms (the rule trim_models.py uses).
pub fn served(s: &Svc) -> BTreeSet<String> {
    let src = std::fs::read_to_string(Path::new(SRC).join(s.table)).expect("dispatch table");
    src.lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('"')?;
            let (name, tail) = rest.split_once('"')?;
            (tail.trim_start().starts_with("=>") && !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()))
                .then(|| name.to_string())
        })
        .collect()
}

/// The extract of one service, loaded once.
fn model(name: &str) -> &'static Value {
    static CACHE: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        SERVICES
            .iter()
            .map(|s| {
                let path = Path::new(MODELS).join(format!("{}.json", s.model));
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (s.model.to_string(), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            })
            .collect()
    });
    &all[name]
}

/// One element of a response: its local name, child elements and text.
#[derive(Debug)]
struct Node {
    name: String,
    children: Vec<Node>,
    text: String,
}

fn parse(body: &str) -> Result<Node, String> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(body);
    let mut stack: Vec<Node> = Vec::new();
    let node = |e: &quick_xml::events::BytesStart| Node {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        children: Vec::new(),
        text: String::new(),
    };
    loop {
        match r.read_event().map_err(|e| format!("not well-formed XML: {e}"))? {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => {
                let n = node(&e);
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::Text(t) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&t.unescape().map_err(|e| format!("bad escape: {e}"))?);
                }
            }
            Event::End(_) => {
                let n = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
    }
}

/// What is wrong with a success response of `action` from the service lbsim answers as
/// `signing_name`, as `path: problem` lines (empty when the response fits the model).
pub fn check(signing_name: &str, action: &str, body: &str) -> Vec<String> {
    let Some(s) = svc(signing_name) else { return vec![format!("no model for service {signing_name}")] };
    let m = model(s.model);
    let Some(op) = m["operations"].get(action) else {
        return vec![format!("{action} is not in fixtures/models/{}.json (run tests/tools/trim_models.py)", s.model)];
    };
    let root = match parse(body) {
        Ok(r) => r,
        Err(e) => return vec![e],
    };
    let mut c = Checker { shapes: &m["shapes"], problems: Vec::new() };
    let want_root = format!("{action}Response");
    if root.name != want_root {
        c.problem(&root.name, format!("root element should be {want_root}"));
        return c.problems;
    }
    let output = op["output"].as_str();
    if m["protocol"] == "ec2" {
        let mut members: Vec<&Node> = Vec::new();
        let mut ids = 0;
        for n in &root.children {
            if n.name == "requestId" {
                ids += 1;
                c.scalar_text(&format!("{want_root}/requestId"), n);
            } else {
                members.push(n);
            }
        }
        if ids != 1 {
            c.problem(&want_root, format!("{ids} requestId elements (want 1)"));
        }
        // EC2 answers many calls with `<return>true</return>` whether or not the model has a
        // `Return` member (CreateSecurityGroup, and every operation without an output shape:
        // DeleteVpc, CreateTags, ModifyInstanceAttribute, …), as AWS's API reference samples
        // show; botocore reads only modelled names and ignores it (aws-api.md §1, ec2 protocol).
        // Allowed directly under the root only, and only as `true`.
        let modelled_return = output.is_some_and(|o| c.has_member(o, "return"));
        members.retain(|n| {
            if n.name != "return" || modelled_return {
                return true;
            }
            if !(n.children.is_empty() && n.text == "true") {
                c.problem(&format!("{want_root}/return"), "an unmodelled return must be <return>true</return>".into());
            }
            false
        });
        match output {
            Some(shape) => c.members(&want_root, &members, shape),
            None => {
                for n in members {
                    c.problem(
                        &format!("{want_root}/{}", n.name),
                        format!("{action} has no output shape: only <return>true</return> may follow requestId"),
                    );
                }
            }
        }
    } else {
        let wrapper = op["resultWrapper"].as_str().unwrap_or("");
        let mut results = 0;
        let mut metas = 0;
        for n in &root.children {
            let path = format!("{want_root}/{}", n.name);
            if n.name == wrapper {
                results += 1;
                c.structure(&path, n, output.unwrap_or_default());
            } else if n.name == "ResponseMetadata" {
                metas += 1;
                match n.children.as_slice() {
                    [id] if id.name == "RequestId" => c.scalar_text(&format!("{path}/RequestId"), id),
                    _ => c.problem(&path, "must hold exactly one RequestId".into()),
                }
            } else {
                c.problem(&path, format!("not in the Query envelope (want {wrapper} and ResponseMetadata)"));
            }
        }
        if results != 1 || metas != 1 {
            c.problem(&want_root, format!("{results} {wrapper} and {metas} ResponseMetadata elements (want one each)"));
        }
    }
    c.problems
}

struct Checker<'m> {
    shapes: &'m Value,
    problems: Vec<String>,
}

impl<'m> Checker<'m> {
    fn problem(&mut self, path: &str, what: String) {
        self.problems.push(format!("{path}: {what}"));
    }

    fn shape(&self, name: &str) -> &'m Value {
        &self.shapes[name]
    }

    fn has_member(&self, structure: &str, element: &str) -> bool {
        self.shape(structure)["members"]
            .as_object()
            .is_some_and(|m| m.iter().any(|(name, r)| r["locationName"].as_str().unwrap_or(name) == element))
    }

    /// `node` against shape `name`, whatever its type.
    fn value(&mut self, path: &str, node: &Node, name: &str) {
        let shape = self.shape(name);
        match shape["type"].as_str().unwrap_or("") {
            "structure" => self.structure(path, node, name),
            "list" => self.list(path, node, name),
            "map" => self.map(path, node, name),
            "" => self.problem(path, format!("shape {name} is missing from the extract")),
            t => {
                if !node.children.is_empty() {
                    self.problem(path, format!("a {t} ({name}) holds text, not elements <{}>", node.children[0].name));
                    return;
                }
                self.scalar(path, &node.text, name, t);
            }
        }
    }

    fn no_text(&mut self, path: &str, node: &Node) {
        if !node.text.trim().is_empty() {
            self.problem(path, format!("holds text {:?} where the model has elements", node.text));
        }
    }

    fn structure(&mut self, path: &str, node: &Node, name: &str) {
        self.no_text(path, node);
        let children: Vec<&Node> = node.children.iter().collect();
        self.members(path, &children, name);
    }

    /// The children of a structure's element against its members.
    fn members(&mut self, path: &str, children: &[&Node], name: &str) {
        let Some(members) = self.shape(name)["members"].as_object() else {
            self.problem(path, format!("{name} is not a structure in the extract"));
            return;
        };
        let mut seen = BTreeSet::new();
        for n in children {
            let child_path = format!("{path}/{}", n.name);
            let found = members.iter().find(|(member, r)| r["locationName"].as_str().unwrap_or(member) == n.name);
            let Some((_, r)) = found else {
                let names: Vec<&str> = members.iter().map(|(m, r)| r["locationName"].as_str().unwrap_or(m)).collect();
                self.problem(&child_path, format!("not a member of {name} (members: {})", names.join(", ")));
                continue;
            };
            if !seen.insert(n.name.clone()) {
                self.problem(&child_path, "appears more than once".into());
            }
            if r["flattened"] == true || self.shape(r["shape"].as_str().unwrap_or(""))["flattened"] == true {
                self.problem(&child_path, "flattened lists are not handled by this check".into());
                continue;
            }
            self.value(&child_path, n, r["shape"].as_str().unwrap_or(""));
        }
    }

    fn list(&mut self, path: &str, node: &Node, name: &str) {
        self.no_text(path, node);
        let member = &self.shape(name)["member"];
        let item = member["locationName"].as_str().unwrap_or("member").to_string();
        let shape = member["shape"].as_str().unwrap_or("").to_string();
        for n in &node.children {
            let child_path = format!("{path}/{}", n.name);
            if n.name != item {
                self.problem(&child_path, format!("list {name} holds <{item}> elements"));
                continue;
            }
            self.value(&child_path, n, &shape);
        }
    }

    fn map(&mut self, path: &str, node: &Node, name: &str) {
        self.no_text(path, node);
        let s = self.shape(name);
        let (k, v) = (s["key"]["locationName"].as_str().unwrap_or("key"), s["value"]["locationName"].as_str().unwrap_or("value"));
        for e in &node.children {
            let entry_path = format!("{path}/{}", e.name);
            if e.name != "entry" {
                self.problem(&entry_path, format!("map {name} holds <entry> elements"));
                continue;
            }
            let names: Vec<&str> = e.children.iter().map(|c| c.name.as_str()).collect();
            if names != [k, v] {
                self.problem(&entry_path, format!("holds {names:?} (want [{k}, {v}])"));
                continue;
            }
            self.value(&format!("{entry_path}/{k}"), &e.children[0], s["key"]["shape"].as_str().unwrap_or(""));
            self.value(&format!("{entry_path}/{v}"), &e.children[1], s["value"]["shape"].as_str().unwrap_or(""));
        }
    }

    /// Envelope leaves (request ids): text only.
    fn scalar_text(&mut self, path: &str, node: &Node) {
        if !node.children.is_empty() || node.text.is_empty() {
            self.problem(path, "must be a non-empty text element".into());
        }
    }

    fn scalar(&mut self, path: &str, text: &str, name: &str, t: &str) {
        let ok = match t {
            "boolean" => matches!(text, "true" | "false"),
            "integer" | "long" => text.parse::<i64>().is_ok(),
            "float" | "double" => text.parse::<f64>().is_ok(),
            "timestamp" => is_iso8601(text),
            _ => true,
        };
        if !ok {
            self.problem(path, format!("{text:?} is not a {t} ({name})"));
        }
        if let Some(values) = self.shape(name)["enum"].as_array()
            && !values.iter().any(|v| v == text)
            && !ENUM_EXTRA.iter().any(|(shape, value, _)| *shape == name && *value == text)
        {
            self.problem(path, format!("{text:?} is not one of {name}'s values"));
        }
    }
}

/// `2025-01-15T10:20:30Z` or with fractional seconds (`…30.123Z`), UTC as AWS writes it.
fn is_iso8601(s: &str) -> bool {
    s.ends_with('Z') && DateTime::parse_from_rfc3339(s).is_ok() && s.as_bytes().get(10) == Some(&b'T')
}

#[test]
fn extract_covers_every_served_action() {
    for s in SERVICES {
        let m = model(s.model);
        let served = served(s);
        assert!(!served.is_empty(), "no actions found in src/api/{}", s.table);
        let extract: BTreeSet<String> = m["operations"].as_object().unwrap().keys().cloned().collect();
        let missing: Vec<&String> = served.difference(&extract).collect();
        let stale: Vec<&String> = extract.difference(&served).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "fixtures/models/{}.json is out of date with src/api/{} (missing {missing:?}, no longer served {stale:?}): \
             run python3 tests/tools/trim_models.py",
            s.model,
            s.table
        );
        assert!(m["botocore"].as_str().is_some_and(|v| !v.is_empty()), "the extract names its botocore version");
        // Every shape an operation reaches is in the extract (the walk would report it anyway,
        // but only on responses that reach it).
        let shapes = m["shapes"].as_object().unwrap();
        for (name, shape) in shapes {
            let refs: Vec<&Value> = match shape["type"].as_str() {
                Some("structure") => shape["members"].as_object().unwrap().values().collect(),
                Some("list") => vec![&shape["member"]],
                Some("map") => vec![&shape["key"], &shape["value"]],
                _ => vec![],
            };
            for r in refs {
                let target = r["shape"].as_str().unwrap();
                assert!(shapes.contains_key(target), "{}: shape {name} refers to {target}, not in the extract", s.model);
            }
        }
    }
}

#[test]
fn check_finds_misnamed_misplaced_and_mistyped_elements() {
    let ok = "<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId><vpc>\
              <vpcId>vpc-1</vpcId><isDefault>false</isDefault><tagSet><item><key>k</key><value>v</value></item></tagSet></vpc>\
              </CreateVpcResponse>";
    assert_eq!(check("ec2", "CreateVpc", ok), Vec::<String>::new());
    let cases = [
        (ok.replace("<vpcId>vpc-1</vpcId>", "<vpcID>vpc-1</vpcID>"), "CreateVpcResponse/vpc/vpcID: not a member of Vpc"),
        (ok.replace("<item><key>", "<member><key>").replace("</value></item>", "</value></member>"), "list TagList holds <item>"),
        (ok.replace("<isDefault>false</isDefault>", "<isDefault>no</isDefault>"), "\"no\" is not a boolean"),
        (ok.replace("<vpc>", "<vpc><state>gone</state>"), "\"gone\" is not one of VpcState's values"),
        (ok.replace("</vpc>", "<vpcId>vpc-2</vpcId></vpc>"), "appears more than once"),
        (ok.replace("<requestId>r</requestId>", ""), "0 requestId elements"),
        (ok.replace("<vpcId>vpc-1</vpcId>", "<vpcId><id>vpc-1</id></vpcId>"), "holds text, not elements"),
    ];
    for (body, want) in cases {
        let got = check("ec2", "CreateVpc", &body);
        assert!(got.iter().any(|p| p.contains(want)), "want a problem containing {want:?}, got {got:?}");
    }
    let query = "<DescribeTagsResponse><DescribeTagsResult><TagDescriptions><member><ResourceArn>a</ResourceArn>\
                 <Tags><member><Key>k</Key><Value>v</Value></member></Tags></member></TagDescriptions></DescribeTagsResult>\
                 <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTagsResponse>";
    assert_eq!(check("elasticloadbalancing", "DescribeTags", query), Vec::<String>::new());
    let got = check("elasticloadbalancing", "DescribeTags", &query.replace("DescribeTagsResult>", "DescribeTagResult>"));
    assert!(got.iter().any(|p| p.contains("not in the Query envelope")), "{got:?}");
    let delete = "<DeleteVpcResponse><requestId>r</requestId><return>true</return></DeleteVpcResponse>";
    assert_eq!(check("ec2", "DeleteVpc", delete), Vec::<String>::new());
    let got = check("ec2", "DeleteVpc", &delete.replace(">true<", ">false<"));
    assert!(got.iter().any(|p| p.contains("an unmodelled return must be <return>true</return>")), "{got:?}");
    let got = check("ec2", "DeleteVpc", &delete.replace("<return>", "<vpcId>v</vpcId><return>"));
    assert!(got.iter().any(|p| p.contains("DeleteVpc has no output shape")), "{got:?}");
}

/// The scripted run: one server, every served action at least once (with the resources each
/// needs created first), each success response checked against the model. Requests go through
/// the in-process router, as lbsim's own SDK clients send them.
#[tokio::test]
async fn scripted_run_writes_only_model_names() {
    use tower::ServiceExt;
    let script = std::fs::read_to_string(Path::new(MODELS).join("scripted_run.steps")).expect("scripted_run.steps");
    let steps = wire_golden::parse_steps(&script).expect("scripted_run.steps");
    let (app, clock) = wire_golden::golden_app();
    // The router lbsim's own SDK clients send through (client::InProcess).
    let router = lbsim::server::aws_router(app);
    let mut vars = BTreeMap::new();
    let mut called: BTreeSet<(String, String)> = BTreeSet::new();
    let mut failures = Vec::new();
    for (line, step) in &steps {
        let form = match step {
            Step::Advance(secs) => {
                advance(&clock, *secs);
                continue;
            }
            Step::Request { form, .. } => wire_golden::substitute(form, &vars).unwrap_or_else(|e| panic!("line {line}: {e}")),
        };
        let req = axum::http::Request::post("/")
            .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(axum::body::Body::from(form.clone()))
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body = String::from_utf8(body.to_vec()).expect("UTF-8 body");
        let action = wire_golden::form_value(&form, "Action").unwrap_or_default();
        if status >= 300 {
            failures.push(format!("line {line} ({action}): status {status}: {body}"));
            continue;
        }
        let service = service_of(&form);
        called.insert((service.to_string(), action.clone()));
        for p in check(service, &action, &body) {
            failures.push(format!("line {line} ({action}): {p}"));
        }
        if let Err(e) = wire_golden::capture(step, &body, &mut vars) {
            failures.push(format!("line {line} ({action}): {e}"));
        }
    }
    for s in SERVICES {
        for a in served(s) {
            if !called.contains(&(s.signing_name.to_string(), a.clone())) && !NO_SCRIPTED_SUCCESS.iter().any(|(x, _)| *x == a) {
                failures.push(format!("the scripted run never calls {} {a}", s.signing_name));
            }
        }
    }
    assert!(failures.is_empty(), "{} problems in the scripted run:\n{}", failures.len(), failures.join("\n"));
}

pub fn advance(clock: &Arc<ManualClock>, secs: i64) {
    clock.advance(chrono::Duration::seconds(secs));
}

/// The service a form is for, from its `Version` (the scripted run sends no SigV4 header).
fn service_of(form: &str) -> &'static str {
    match wire_golden::form_value(form, "Version").as_deref() {
        Some("2015-12-01") => "elasticloadbalancing",
        Some("2011-06-15") => "sts",
        _ => "ec2",
    }
}
