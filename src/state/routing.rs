//! Route tables and internet gateways of a Region: the only code that inserts or removes them,
//! their associations and routes, so `rt_by_assoc`, `rt_by_subnet`, `main_rt` and `igw_by_vpc`
//! always agree with the data. Action code validates first and calls these only to commit.
//!
//! What the ELB service and the AWS Load Balancer Controller read from here: whether a subnet is
//! public, i.e. its route table (explicit, else the VPC's main one) has a route to an internet
//! gateway attached to the VPC.

use super::Region;
use indexmap::IndexMap;

use super::ec2::{InternetGateway, Route, RouteTable, RouteTableAssociation, RouteTarget, Subnet};

impl Region {
    pub fn route_tables(&self) -> &IndexMap<String, RouteTable> {
        &self.route_tables
    }

    pub fn igws(&self) -> &IndexMap<String, InternetGateway> {
        &self.igws
    }

    /// The VPC's main route table.
    pub fn main_route_table(&self, vpc: &str) -> Option<&RouteTable> {
        self.route_tables.get(self.main_rt.get(vpc)?)
    }

    /// The internet gateway attached to a VPC.
    pub fn vpc_igw(&self, vpc: &str) -> Option<&str> {
        self.igw_by_vpc.get(vpc).map(String::as_str)
    }

    /// The table an association id belongs to.
    pub fn assoc_route_table(&self, assoc: &str) -> Option<&RouteTable> {
        self.route_tables.get(self.rt_by_assoc.get(assoc)?)
    }

    /// The table a subnet is explicitly associated with.
    pub fn explicit_route_table(&self, subnet: &str) -> Option<&str> {
        self.rt_by_subnet.get(subnet).map(String::as_str)
    }

    /// Commits a route table for a VPC with its local route; `main` also gives it the VPC's main
    /// association (CreateVpc does this once per VPC).
    pub fn create_route_table(&mut self, vpc: &str, main: bool) -> String {
        let id = self.ids.ec2("rtb");
        let cidr = self.vpcs.get(vpc).map(|v| v.cidr).unwrap_or_default();
        let mut rt = RouteTable {
            id: id.clone(),
            vpc_id: vpc.to_string(),
            owner_id: self.account.clone(),
            routes: vec![Route { destination: cidr, target: RouteTarget::Local, origin: "CreateRouteTable".into() }],
            associations: Vec::new(),
        };
        if main {
            rt.associations.push(RouteTableAssociation { id: self.ids.ec2("rtbassoc"), subnet_id: None });
        }
        self.insert_route_table(rt);
        id
    }

    /// Indexes and stores a table (also used by snapshot restore).
    pub fn insert_route_table(&mut self, rt: RouteTable) {
        for a in &rt.associations {
            self.rt_by_assoc.insert(a.id.clone(), rt.id.clone());
            match &a.subnet_id {
                Some(s) => {
                    self.rt_by_subnet.insert(s.clone(), rt.id.clone());
                }
                None => {
                    self.main_rt.insert(rt.vpc_id.clone(), rt.id.clone());
                }
            }
        }
        self.route_tables.insert(rt.id.clone(), rt);
    }

    /// Removes a table with its associations and tags. Callers have checked that only the main
    /// association (when the VPC itself goes) or none is left.
    pub fn remove_route_table(&mut self, id: &str) -> Option<RouteTable> {
        let rt = self.route_tables.shift_remove(id)?;
        for a in &rt.associations {
            self.rt_by_assoc.remove(&a.id);
            match &a.subnet_id {
                Some(s) => {
                    self.rt_by_subnet.remove(s);
                }
                None => {
                    self.main_rt.remove(&rt.vpc_id);
                }
            }
        }
        self.tags.clear(id);
        Some(rt)
    }

    /// Associates a subnet with a table (validated: same VPC, no explicit association yet).
    pub fn associate_route_table(&mut self, rt_id: &str, subnet: &str) -> String {
        let assoc = self.ids.ec2("rtbassoc");
        if let Some(rt) = self.route_tables.get_mut(rt_id) {
            rt.associations.push(RouteTableAssociation { id: assoc.clone(), subnet_id: Some(subnet.to_string()) });
            self.rt_by_assoc.insert(assoc.clone(), rt_id.to_string());
            self.rt_by_subnet.insert(subnet.to_string(), rt_id.to_string());
        }
        assoc
    }

    /// Drops a subnet association; the subnet falls back to the main table.
    pub fn disassociate_route_table(&mut self, assoc: &str) {
        let Some(rt_id) = self.rt_by_assoc.remove(assoc) else { return };
        if let Some(rt) = self.route_tables.get_mut(&rt_id)
            && let Some(i) = rt.associations.iter().position(|a| a.id == assoc)
            && let Some(s) = rt.associations.remove(i).subnet_id
        {
            self.rt_by_subnet.remove(&s);
        }
    }

    pub fn add_route(&mut self, rt: &str, route: Route) {
        if let Some(t) = self.route_tables.get_mut(rt) {
            t.routes.push(route);
        }
    }

    pub fn remove_route(&mut self, rt: &str, destination: ipnet::Ipv4Net) {
        if let Some(t) = self.route_tables.get_mut(rt) {
            t.routes.retain(|r| r.destination != destination);
        }
    }

    /// The table a subnet uses: its explicit association, else its VPC's main table.
    pub fn subnet_route_table(&self, subnet: &str) -> Option<&RouteTable> {
        let id = match self.rt_by_subnet.get(subnet) {
            Some(id) => id,
            None => self.main_rt.get(&self.subnets.get(subnet)?.vpc_id)?,
        };
        self.route_tables.get(id)
    }

    /// Whether a route is usable: local always, a gateway while it is attached to the table's VPC
    /// (a detached or deleted gateway leaves a `blackhole` route, as on AWS).
    pub fn route_active(&self, rt: &RouteTable, route: &Route) -> bool {
        match &route.target {
            RouteTarget::Local => true,
            RouteTarget::Gateway(g) => self.igws.get(g).is_some_and(|i| i.vpc_id.as_deref() == Some(rt.vpc_id.as_str())),
        }
    }

    /// Whether a subnet is public: its table has an active route to an internet gateway.
    pub fn subnet_routes_to_igw(&self, subnet: &str) -> bool {
        self.subnet_route_table(subnet)
            .is_some_and(|rt| rt.routes.iter().any(|r| matches!(r.target, RouteTarget::Gateway(_)) && self.route_active(rt, r)))
    }

    pub fn create_igw(&mut self) -> String {
        let id = self.ids.ec2("igw");
        self.insert_igw(InternetGateway { id: id.clone(), owner_id: self.account.clone(), vpc_id: None });
        id
    }

    pub fn insert_igw(&mut self, g: InternetGateway) {
        if let Some(v) = &g.vpc_id {
            self.igw_by_vpc.insert(v.clone(), g.id.clone());
        }
        self.igws.insert(g.id.clone(), g);
    }

    /// Attaches a gateway (validated: both free).
    pub fn attach_igw(&mut self, igw: &str, vpc: &str) {
        if let Some(g) = self.igws.get_mut(igw) {
            g.vpc_id = Some(vpc.to_string());
            self.igw_by_vpc.insert(vpc.to_string(), igw.to_string());
        }
    }

    pub fn detach_igw(&mut self, igw: &str) {
        if let Some(g) = self.igws.get_mut(igw)
            && let Some(v) = g.vpc_id.take()
        {
            self.igw_by_vpc.remove(&v);
        }
    }

    /// Removes a detached gateway and its tags.
    pub fn remove_igw(&mut self, igw: &str) -> Option<InternetGateway> {
        self.detach_igw(igw);
        let g = self.igws.shift_remove(igw)?;
        self.tags.clear(igw);
        Some(g)
    }

    /// Removes a subnet, its explicit route-table association and its tags. Callers have
    /// checked that no interface uses it.
    pub fn remove_subnet(&mut self, id: &str) -> Option<Subnet> {
        if let Some(rt) = self.rt_by_subnet.get(id).cloned()
            && let Some(assoc) = self
                .route_tables
                .get(&rt)
                .and_then(|t| t.associations.iter().find(|a| a.subnet_id.as_deref() == Some(id)))
                .map(|a| a.id.clone())
        {
            self.disassociate_route_table(&assoc);
        }
        let s = self.subnets.shift_remove(id)?;
        self.tags.clear(id);
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::state::{Quotas, RegionSettings};

    #[test]
    fn default_vpc_is_public_and_a_new_vpc_private_until_routed() {
        let mut r = Region::new("123456789012", "us-east-1", Quotas::default(), RegionSettings::default(), 1, Utc::now());
        let vpc = r.default_vpc().unwrap().id.clone();
        let subnet = r.subnets.keys().next().unwrap().clone();
        assert!(r.subnet_routes_to_igw(&subnet));
        assert!(r.igw_by_vpc.contains_key(&vpc));
        let other = r.create_vpc("10.0.0.0/16".parse().unwrap(), false, "default");
        let s = r.create_subnet(&other, "10.0.1.0/24".parse().unwrap(), "us-east-1a", "use1-az1", false);
        assert!(!r.subnet_routes_to_igw(&s));
        let igw = r.create_igw();
        r.attach_igw(&igw, &other);
        let rt = r.create_route_table(&other, false);
        r.add_route(
            &rt,
            Route { destination: "0.0.0.0/0".parse().unwrap(), target: RouteTarget::Gateway(igw.clone()), origin: "CreateRoute".into() },
        );
        let assoc = r.associate_route_table(&rt, &s);
        assert!(r.subnet_routes_to_igw(&s));
        // A detached gateway leaves a blackhole route: the subnet is private again.
        r.detach_igw(&igw);
        assert!(!r.subnet_routes_to_igw(&s));
        r.attach_igw(&igw, &other);
        r.disassociate_route_table(&assoc);
        assert!(!r.subnet_routes_to_igw(&s));
        assert_eq!(r.subnet_route_table(&s).map(|t| t.is_main()), Some(true));
        r.associate_route_table(&rt, &s);
        r.remove_subnet(&s);
        assert!(r.rt_by_subnet.is_empty());
        assert_eq!(r.route_tables[&rt].associations.len(), 0);
    }
}
