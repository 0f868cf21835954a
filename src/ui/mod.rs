//! What a person looks at: the dashboard that `lbsim serve` serves at `/_lbsim/ui` (`/`
//! redirects there), the HTML scenario report (`lbsim run --report-html`), and the SVG charts
//! both of them and the quota planner draw.
//!
//! Owns: `overview` (the dashboard's view model: topology per cluster and VPC, quota bars,
//! Events, recent API calls — built from the admin API's own state dump and usage rows),
//! `dashboard` (its router and the embedded page), `chart` (small self-contained SVG line
//! charts), `report` (the HTML report of a scenario run).
//! May call: everything below — `app`, `admin` (state dump, usage, the access guard), `world`
//! (live clusters), `scenario` (reports), `reconciler` (its tag and label names). Must never:
//! change state; every route here only reads, and those that read state sit behind
//! `admin::routes::guard`.
//!
//! Front end: plain HTML, CSS and one hand-written JavaScript file, embedded with
//! `include_str!` — no framework, no npm at build time, nothing for a user to build. The page is
//! four panels redrawn from one JSON document every second; that needs no virtual DOM, and a
//! bundled library would be code nobody here reads. Connectors between the topology cards are SVG
//! paths drawn over the CSS grid from the cards' positions.

pub mod chart;
pub mod dashboard;
pub mod overview;
pub mod report;
