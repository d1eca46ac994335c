//! The `/rest` resources and the `/oauth/v2` endpoints, in LinkedIn's shapes and with
//! LinkedIn's rejections: finder names, page-size limits, scopes, admin roles, time ranges,
//! URN types and encodings. Data comes from `data.rs`.

use axum::http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::data::{self, Dataset, Post, PostKind, DAY_MS};
use crate::permissions::{self, Role, Rule};
use crate::restli::{percent_decode, Query};
use crate::{ApiError, AppState, Caller};

pub(crate) struct Ctx<'a> {
    pub ds: &'a Dataset,
    pub now: i64,
    pub caller: &'a Caller,
    pub version: &'a str,
    pub v2: bool,
    pub headers: &'a HeaderMap,
    pub short_pages: bool,
}

type R = Result<Value, ApiError>;

/// A successful answer: a JSON value, or a body already serialised (the comments pages,
/// built straight from typed structs so the mock keeps up with a million-comment
/// benchmark: a `Value` per element cost the mock as much CPU as the connector spent).
pub(crate) enum Reply {
    Json(Value),
    Raw(Vec<u8>),
}

impl Ctx<'_> {
    fn denied(&self, resource: &str, method: &str) -> ApiError {
        ApiError::forbidden(&format!(
            "Not enough permissions to access: {resource}.{method}.{}01",
            self.version
        ))
    }

    /// The scope check of the permission table's row for `resource` (any one of its scopes).
    fn require_scope(&self, resource: &str, method: &str) -> Result<&'static Rule, ApiError> {
        let rule = permissions::rule(resource)
            .ok_or_else(|| ApiError::not_found(&format!("No resource found for {resource}")))?;
        if rule.any_of.is_empty() || rule.any_of.iter().any(|s| self.caller.scopes.contains(s)) {
            Ok(rule)
        } else {
            Err(self.denied(resource, method))
        }
    }

    /// The role check of `rule` for organization index `org`.
    fn require_role(&self, rule: &Rule, org: u32, method: &str) -> Result<(), ApiError> {
        match self.caller.role_on(org) {
            Some(role) if rule.role.allows(role) => Ok(()),
            _ if rule.role == Role::None => Ok(()),
            _ => Err(self.denied(rule.resource, method)),
        }
    }

    /// Scope, then the organization behind an organization (or showcase brand) URN, then
    /// the role the table asks for on it. A page the mock does not know answers 403 where a
    /// role is needed (as LinkedIn does for a page one does not administer), 404 otherwise.
    fn authorize_org(&self, resource: &str, urn: &str, method: &str) -> Result<u32, ApiError> {
        let rule = self.require_scope(resource, method)?;
        let id = urn
            .strip_prefix("urn:li:organization:")
            .or_else(|| urn.strip_prefix("urn:li:organizationBrand:"))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::bad_request(&format!("Invalid organizational entity URN: '{urn}'"))
            })?;
        match data::org_index(self.ds, id) {
            Some(i) => {
                self.require_role(rule, i, method)?;
                Ok(i)
            }
            None if rule.role == Role::None => {
                Err(ApiError::not_found(&format!("{urn} does not exist")))
            }
            None => Err(self.denied(resource, method)),
        }
    }

    fn finder(&self, q: &Query, expected: &str) -> Result<(), ApiError> {
        match q.scalar("q") {
            Ok(Some(name)) if name == expected => Ok(()),
            _ => Err(invalid_query()),
        }
    }

    /// `start`/`count` with LinkedIn's default of 10 and a per-endpoint maximum.
    fn paging(&self, q: &Query, max: u64) -> Result<(usize, usize), ApiError> {
        let start = q
            .uint("start")
            .map_err(|e| ApiError::bad_request(&e))?
            .unwrap_or(0);
        let count = q
            .uint("count")
            .map_err(|e| ApiError::bad_request(&e))?
            .unwrap_or(10);
        if count > max {
            return Err(ApiError::bad_request(&format!(
                "Invalid value for param 'count': {count} exceeds the maximum of {max}"
            )));
        }
        Ok((start as usize, count as usize))
    }

    /// A path key: under Rest.li 2.0 it must be fully percent-encoded.
    fn path_key(&self, raw: &str) -> Result<String, ApiError> {
        if self.v2 && (raw.contains(':') || raw.contains(',')) {
            return Err(ApiError::bad_request(&format!(
                "Path key '{raw}' must be URL-encoded under Rest.li protocol 2.0.0"
            )));
        }
        percent_decode(raw).ok_or_else(|| ApiError::bad_request("Malformed path key"))
    }
}

fn invalid_query() -> ApiError {
    ApiError::bad_request("Invalid query parameters passed to request")
}

fn param_err(e: String) -> ApiError {
    ApiError::bad_request(&e)
}

fn required(q: &Query, key: &str) -> Result<String, ApiError> {
    q.scalar(key)
        .map_err(param_err)?
        .ok_or_else(|| ApiError::bad_request(&format!("Missing required parameter '{key}'")))
}

/// The indices a page `(start, count)` of `total` elements answers with.
///
/// Clean: `[start, start + count)`. With `--short-pages`, every non-final page (one with
/// `start + count < total`) is `k` short (`k = count / 4`, between 1 and 3): page `j`
/// (`j = start / count`) answers `[start - j·k, start + count - (j+1)·k)`, so the elements
/// each page holds back open the next one, and the final page answers everything from
/// `start - j·k` to `total` (it may hold more than `count`). A client that pages by
/// `count` (the `next` link) until `start >= total` sees every element exactly once, in
/// order; a client that stops at the first page shorter than `count` loses the rest.
/// `paging.total`, `paging.count` and the links are those of the clean answer.
pub(crate) fn page_range(
    total: usize,
    start: usize,
    count: usize,
    short: bool,
) -> std::ops::Range<usize> {
    let end = start.saturating_add(count).min(total);
    if !short || count < 2 || start >= total {
        return start.min(end)..end;
    }
    let k = (count / 4).clamp(1, 3);
    let j = start / count;
    let from = start - j * k;
    let to = if start + count < total {
        start + count - (j + 1) * k
    } else {
        total
    };
    from..to
}

fn collection(
    all: Vec<Value>,
    start: usize,
    count: usize,
    short: bool,
    with_total: bool,
    href: &str,
) -> Value {
    let total = all.len();
    let range = page_range(total, start, count, short);
    let page: Vec<Value> = all
        .into_iter()
        .skip(range.start)
        .take(range.len())
        .collect();
    json!({"paging": paging_json(total, start, count, with_total, href), "elements": page})
}

/// The `paging` object of a collection of `total` elements.
fn paging_json(total: usize, start: usize, count: usize, with_total: bool, href: &str) -> Value {
    let mut links = Vec::new();
    if start + count < total {
        links.push(json!({"type": "application/json", "rel": "next",
                          "href": format!("{href}start={}&count={count}", start + count)}));
    }
    let mut paging = json!({"start": start, "count": count, "links": links});
    if with_total {
        paging["total"] = json!(total);
    }
    paging
}

fn stats_envelope(elements: Vec<Value>) -> Value {
    json!({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})
}

pub(crate) fn rest(ctx: &Ctx, path: &str, q: &Query) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = path.split('/').collect();
    if let ["socialActions", key, "comments"] = segs.as_slice() {
        return comments(ctx, key, q).map(Reply::Raw);
    }
    match segs.as_slice() {
        ["organizationAcls"] => organization_acls(ctx, q),
        ["organizations"] => organizations_batch(ctx, q),
        ["organizations", id] => organization_get(ctx, id),
        ["networkSizes", key] => network_size(ctx, key, q),
        ["organizationalEntityFollowerStatistics"] => follower_statistics(ctx, q),
        ["organizationalEntityShareStatistics"] => share_statistics(ctx, q),
        ["organizationPageStatistics"] => page_statistics(ctx, q, false),
        ["brandPageStatistics"] => page_statistics(ctx, q, true),
        ["posts"] => posts(ctx, q),
        ["reactions", key] => reactions(ctx, key, q),
        ["socialMetadata"] => social_metadata(ctx, q),
        ["videoAnalytics"] => video_analytics(ctx, q),
        ["geo"] => geo(q),
        ["industries"] => taxonomy(ctx, q, "industry", data::INDUSTRIES),
        ["functions"] => taxonomy(ctx, q, "function", data::FUNCTIONS),
        ["seniorities"] => taxonomy(ctx, q, "seniority", data::SENIORITIES),
        _ => Err(ApiError::not_found(&format!(
            "No resource found for /rest/{path}"
        ))),
    }
    .map(Reply::Json)
}

fn organization_acls(ctx: &Ctx, q: &Query) -> R {
    ctx.finder(q, "roleAssignee")?;
    ctx.require_scope("organizationAcls", "FINDER-roleAssignee")?;
    let (start, count) = ctx.paging(q, 1000)?;
    let role_filter = q.scalar("role").map_err(param_err)?;
    let state_filter = q.scalar("state").map_err(param_err)?;
    let elements: Vec<Value> = (0..ctx.ds.orgs)
        .filter_map(|i| ctx.caller.role_on(i).map(|role| (i, role)))
        .filter(|(_, role)| role_filter.as_deref().is_none_or(|r| r == *role))
        .filter(|_| state_filter.as_deref().is_none_or(|s| s == "APPROVED"))
        .map(|(i, role)| {
            json!({"roleAssignee": ctx.caller.member, "state": "APPROVED", "role": role,
                   "organization": format!("urn:li:organization:{}", data::org_id(i)),
                   "lastModified": {"actor": ctx.caller.member, "time": ctx.ds.history_start},
                   "created": {"actor": ctx.caller.member, "time": ctx.ds.history_start}})
        })
        .collect();
    Ok(collection(
        elements,
        start,
        count,
        ctx.short_pages,
        true,
        "/rest/organizationAcls?q=roleAssignee&",
    ))
}

fn organization_json(ds: &Dataset, i: u32) -> Value {
    let id = data::org_id(i);
    let name = format!("Mock Company {}", i + 1);
    let industry = data::INDUSTRIES[i as usize % data::INDUSTRIES.len()].0;
    json!({
        "id": id,
        "$URN": format!("urn:li:organization:{id}"),
        "localizedName": name,
        "name": {"localized": {"en_US": name}, "preferredLocale": {"country": "US", "language": "en"}},
        "vanityName": format!("mock-company-{}", i + 1),
        "localizedWebsite": format!("https://company{}.example.com", i + 1),
        "localizedDescription": format!("Mock Company {} makes deterministic test data.", i + 1),
        "primaryOrganizationType": "NONE",
        "organizationType": if i % 2 == 0 { "PRIVATELY_HELD" } else { "PUBLIC_COMPANY" },
        "staffCountRange": data::STAFF_RANGES[(i as usize + 3) % data::STAFF_RANGES.len()],
        "industries": [format!("urn:li:industry:{industry}")],
        "foundedOn": {"year": 1990 + (data::hash(ds.seed, &[90, u64::from(i)]) % 30)},
        "locations": [{"locationType": "HEADQUARTERS",
                       "address": {"country": "US", "city": "San Francisco", "postalCode": "94105"}}],
        "defaultLocale": {"country": "US", "language": "en"},
        "versionTag": format!("{}", data::hash(ds.seed, &[91, u64::from(i)]) % 1_000_000_000),
        "autoCreated": false,
    })
}

fn organizations_batch(ctx: &Ctx, q: &Query) -> R {
    let rule = ctx.require_scope("organizations", "BATCH_GET")?;
    let ids = q
        .list("ids")
        .map_err(param_err)?
        .ok_or_else(invalid_query)?;
    if ids.len() > 100 {
        return Err(ApiError::bad_request(
            "Too many ids: at most 100 per BATCH_GET",
        ));
    }
    let (mut results, mut statuses, mut errors) = (Map::new(), Map::new(), Map::new());
    for raw in ids {
        let idx = raw
            .parse::<u64>()
            .ok()
            .and_then(|id| data::org_index(ctx.ds, id));
        match idx {
            Some(i) if ctx.require_role(rule, i, "BATCH_GET").is_ok() => {
                results.insert(raw.clone(), organization_json(ctx.ds, i));
                statuses.insert(raw, json!(200));
            }
            Some(_) => {
                errors.insert(raw.clone(), json!({"status": 403, "message": format!(
                    "Viewer don't have permission to the ADMIN_ONLY VisibilityReduction for urn:li:organization:{raw}")}));
                statuses.insert(raw, json!(403));
            }
            None => {
                errors.insert(raw.clone(), json!({"status": 404, "message": "Not Found"}));
                statuses.insert(raw, json!(404));
            }
        }
    }
    Ok(json!({"results": results, "statuses": statuses, "errors": errors}))
}

fn organization_get(ctx: &Ctx, id: &str) -> R {
    let rule = ctx.require_scope("organizations", "GET")?;
    let i = id
        .parse::<u64>()
        .ok()
        .and_then(|n| data::org_index(ctx.ds, n))
        .ok_or_else(|| ApiError::not_found(&format!("Organization {id} does not exist")))?;
    ctx.require_role(rule, i, "GET")?;
    Ok(organization_json(ctx.ds, i))
}

fn network_size(ctx: &Ctx, key: &str, q: &Query) -> R {
    // LinkedIn accepts the raw URN here in practice, even under protocol 2.0.
    let urn = percent_decode(key).ok_or_else(|| ApiError::bad_request("Malformed path key"))?;
    let edge = required(q, "edgeType")?;
    if edge != "COMPANY_FOLLOWED_BY_MEMBER" && edge != "CompanyFollowedByMember" {
        return Err(ApiError::bad_request(&format!("Invalid edgeType '{edge}'")));
    }
    let i = ctx.authorize_org("networkSizes", &urn, "GET")?;
    let last = available_until(ctx, 2);
    let mut size = 5_000 + (data::hash(ctx.ds.seed, &[92, u64::from(i)]) % 50_000) as i64;
    let mut day = ctx.ds.history_start;
    while day <= last {
        let (o, p) = data::follower_gains(ctx.ds, i, day / DAY_MS);
        size += o + p;
        day += DAY_MS;
    }
    Ok(json!({"firstDegreeSize": size}))
}

/// Start of the last day whose statistics are final: `lag_days` before today (UTC).
fn available_until(ctx: &Ctx, lag_days: i64) -> i64 {
    ctx.now.div_euclid(DAY_MS) * DAY_MS - lag_days * DAY_MS
}

#[derive(Clone, Copy, PartialEq)]
enum Gran {
    Day,
    Month,
}

/// Validates `timeIntervals` like LinkedIn: start within the rolling 12 months, start at
/// least `lag_days` ago, end after start, a DAY window at least a day long.
fn time_window(ctx: &Ctx, q: &Query, lag_days: i64) -> Result<Option<(i64, i64, Gran)>, ApiError> {
    let Some((start, end, gran)) = q.time_intervals().map_err(param_err)? else {
        return Ok(None);
    };
    let bad = |why: &str| ApiError::bad_request(&format!("Invalid timeIntervals parameter: {why}"));
    let gran = match gran.as_str() {
        "DAY" => Gran::Day,
        "MONTH" => Gran::Month,
        other => return Err(bad(&format!("unsupported timeGranularityType {other}"))),
    };
    let today = ctx.now.div_euclid(DAY_MS) * DAY_MS;
    if end <= start {
        return Err(bad("the end must be after the start"));
    }
    if start < today - 365 * DAY_MS {
        return Err(bad("the start must be within the last 12 months"));
    }
    if start > today - lag_days * DAY_MS {
        return Err(bad(&format!(
            "the start must be at least {lag_days} days before the request date"
        )));
    }
    if gran == Gran::Day && end - start < DAY_MS {
        return Err(bad("a DAY interval must span at least one day"));
    }
    Ok(Some((start, end, gran)))
}

/// Buckets `[start, end)` of the window holding at least one day of available data, each
/// with the list of day numbers it aggregates.
fn buckets(
    ctx: &Ctx,
    start: i64,
    end: i64,
    gran: Gran,
    lag_days: i64,
) -> Vec<(i64, i64, Vec<i64>)> {
    let last = available_until(ctx, lag_days);
    let first_day = start.div_euclid(DAY_MS) * DAY_MS;
    let mut out = Vec::new();
    match gran {
        Gran::Day => {
            let mut d = first_day.max(ctx.ds.history_start);
            while d + DAY_MS <= end && d <= last {
                out.push((d, d + DAY_MS, vec![d / DAY_MS]));
                d += DAY_MS;
            }
        }
        Gran::Month => {
            let mut m = month_start(first_day);
            while m < end {
                let next = next_month(m);
                let days: Vec<i64> = (m / DAY_MS..next / DAY_MS)
                    .filter(|d| {
                        d * DAY_MS >= ctx.ds.history_start && d * DAY_MS <= last && d * DAY_MS < end
                    })
                    .collect();
                if !days.is_empty() {
                    out.push((m, next, days));
                }
                m = next;
            }
        }
    }
    out
}

fn month_start(ms: i64) -> i64 {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    chrono::NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
        .and_then(|n| n.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc().timestamp_millis())
        .unwrap_or(ms)
}

fn next_month(ms: i64) -> i64 {
    month_start(month_start(ms) + 32 * DAY_MS)
}

fn facet(
    ds: &Dataset,
    org: u32,
    kind: u64,
    key: &str,
    values: Vec<Value>,
    inner: &str,
    field: &str,
) -> Vec<Value> {
    values
        .into_iter()
        .enumerate()
        .map(|(n, v)| {
            let organic = (data::hash(ds.seed, &[kind, u64::from(org), n as u64]) % 900) as i64 + 1;
            let paid = (data::hash(ds.seed, &[kind + 1, u64::from(org), n as u64]) % 20) as i64;
            let counts = if field == "pageViews" {
                json!({"views": {"allPageViews": {"pageViews": organic}}})
            } else {
                json!({"organicFollowerCount": organic, "paidFollowerCount": paid})
            };
            let mut o = Map::new();
            o.insert(key.to_string(), v);
            o.insert(inner.to_string(), counts);
            Value::Object(o)
        })
        .collect()
}

fn urns(kind: &str, table: &[(u64, &str)], take: usize) -> Vec<Value> {
    table
        .iter()
        .take(take)
        .map(|(id, _)| json!(format!("urn:li:{kind}:{id}")))
        .collect()
}

fn follower_statistics(ctx: &Ctx, q: &Query) -> R {
    const RES: &str = "organizationalEntityFollowerStatistics";
    ctx.finder(q, "organizationalEntity")?;
    let urn = required(q, "organizationalEntity")?;
    let window = time_window(ctx, q, 2)?;
    let i = ctx.authorize_org(RES, &urn, "FINDER-organizationalEntity")?;
    let ds = ctx.ds;
    if let Some((start, end, gran)) = window {
        let elements = buckets(ctx, start, end, gran, 2)
            .into_iter()
            .map(|(s, e, days)| {
                let (mut o, mut p) = (0, 0);
                for d in days {
                    let (a, b) = data::follower_gains(ds, i, d);
                    o += a;
                    p += b;
                }
                json!({"timeRange": {"start": s, "end": e},
                       "followerGains": {"organicFollowerGain": o, "paidFollowerGain": p},
                       "organizationalEntity": urn})
            })
            .collect();
        return Ok(stats_envelope(elements));
    }
    let f = "followerCounts";
    let el = json!({
        "organizationalEntity": urn,
        "followerCountsByAssociationType": facet(ds, i, 100, "associationType", vec![json!("EMPLOYEE")], f, f),
        "followerCountsBySeniority": facet(ds, i, 102, "seniority", urns("seniority", data::SENIORITIES, 10), f, f),
        "followerCountsByIndustry": facet(ds, i, 104, "industry", urns("industry", data::INDUSTRIES, 12), f, f),
        "followerCountsByFunction": facet(ds, i, 106, "function", urns("function", data::FUNCTIONS, 26), f, f),
        "followerCountsByStaffCountRange": facet(ds, i, 108, "staffCountRange",
            data::STAFF_RANGES.iter().map(|s| json!(s)).collect(), f, f),
        "followerCountsByGeoCountry": facet(ds, i, 110, "geo", urns("geo", &data::GEOS[..8], 8), f, f),
        "followerCountsByGeo": facet(ds, i, 112, "geo", urns("geo", &data::GEOS[8..], 6), f, f),
    });
    Ok(stats_envelope(vec![el]))
}

fn share_statistics(ctx: &Ctx, q: &Query) -> R {
    const RES: &str = "organizationalEntityShareStatistics";
    ctx.finder(q, "organizationalEntity")?;
    let urn = required(q, "organizationalEntity")?;
    let window = time_window(ctx, q, 1)?;
    let i = ctx.authorize_org(RES, &urn, "FINDER-organizationalEntity")?;
    let ds = ctx.ds;
    let shares = q.list("shares").map_err(param_err)?;
    let ugc = q.list("ugcPosts").map_err(param_err)?;
    if shares.is_some() || ugc.is_some() {
        if window.is_some() {
            return Err(ApiError::bad_request(
                "This mock serves lifetime statistics only for shares/ugcPosts lists",
            ));
        }
        let (field, list, prefix) = match (shares, ugc) {
            (Some(s), None) => ("shares", s, "urn:li:share:"),
            (None, Some(u)) => ("ugcPosts", u, "urn:li:ugcPost:"),
            _ => {
                return Err(ApiError::bad_request(
                    "Specify either shares or ugcPosts, not both",
                ))
            }
        };
        if list.len() > 100 {
            return Err(ApiError::bad_request(&format!(
                "At most 100 {field} per request"
            )));
        }
        let mut elements = Vec::new();
        for (n, post_urn) in list.iter().enumerate() {
            let post = post_urn
                .strip_prefix(prefix)
                .and_then(|num| num.parse().ok())
                .and_then(|num| ds.post_by_num(num, ctx.now))
                .filter(|p| p.org == i);
            let Some(post) = post else {
                return Err(ApiError::forbidden(&format!(
                    "Unpermitted fields present in PARAMETER: Data Processing Exception while processing fields [/{field}[{n}]]"
                )));
            };
            let key = if field == "shares" {
                "share"
            } else {
                "ugcPost"
            };
            elements.push(json!({"organizationalEntity": urn, key: post_urn,
                                 "totalShareStatistics": data::post_share_stats(ds, &post, ctx.now)}));
        }
        return Ok(stats_envelope(elements));
    }
    if let Some((start, end, gran)) = window {
        let elements = buckets(ctx, start, end, gran, 1)
            .into_iter()
            .map(|(s, e, days)| {
                let stats = sum_stats(days.iter().map(|d| data::share_stats(ds, i, *d)));
                json!({"timeRange": {"start": s, "end": e}, "totalShareStatistics": stats,
                       "organizationalEntity": urn})
            })
            .collect();
        return Ok(stats_envelope(elements));
    }
    let last = available_until(ctx, 1);
    let days = (ds.history_start / DAY_MS..=last / DAY_MS).map(|d| data::share_stats(ds, i, d));
    let mut total = sum_stats(days);
    total["shareMentionsCount"] = json!(data::hash(ds.seed, &[93, u64::from(i)]) % 10);
    total["commentMentionsCount"] = json!(data::hash(ds.seed, &[94, u64::from(i)]) % 10);
    Ok(stats_envelope(vec![
        json!({"totalShareStatistics": total, "organizationalEntity": urn}),
    ]))
}

/// Sums numeric statistics objects key by key (recursively); `engagement` is recomputed.
fn sum_stats(items: impl Iterator<Item = Value>) -> Value {
    fn add(acc: &mut Value, v: &Value) {
        match (acc, v) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, bv) in b {
                    add(a.entry(k.clone()).or_insert(Value::Null), bv);
                }
            }
            (a @ Value::Null, b) => *a = b.clone(),
            (Value::Number(a), Value::Number(b)) => {
                if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                    *a = (x + y).into();
                }
            }
            _ => {}
        }
    }
    let mut acc = Value::Null;
    for v in items {
        add(&mut acc, &v);
    }
    if let Some(impr) = acc.get("impressionCount").and_then(Value::as_i64) {
        let n = |k: &str| acc.get(k).and_then(Value::as_i64).unwrap_or(0);
        let eng = (n("clickCount") + n("likeCount") + n("commentCount") + n("shareCount")) as f64;
        acc["engagement"] = json!(if impr > 0 { eng / impr as f64 } else { 0.0 });
    }
    acc
}

/// `organizationPageStatistics?q=organization` or, for a showcase page,
/// `brandPageStatistics?q=brand&brand=urn:li:organizationBrand:{id}` (same answer keyed by
/// `brand`), per community-management/organizations/page-statistics.
fn page_statistics(ctx: &Ctx, q: &Query, brand: bool) -> R {
    let (res, key) = if brand {
        ("brandPageStatistics", "brand")
    } else {
        ("organizationPageStatistics", "organization")
    };
    ctx.finder(q, key)?;
    let urn = required(q, key)?;
    if brand != urn.starts_with("urn:li:organizationBrand:") {
        return Err(ApiError::bad_request(&format!(
            "Invalid {key} URN: '{urn}'"
        )));
    }
    let window = time_window(ctx, q, 1)?;
    let method = format!("FINDER-{key}");
    let i = ctx.authorize_org(res, &urn, &method)?;
    let ds = ctx.ds;
    if let Some((start, end, gran)) = window {
        let elements = buckets(ctx, start, end, gran, 1)
            .into_iter()
            .map(|(s, e, days)| {
                let stats = sum_stats(days.iter().map(|d| data::page_stats(ds, i, *d)));
                json!({"timeRange": {"start": s, "end": e}, "totalPageStatistics": stats, key: urn})
            })
            .collect();
        return Ok(stats_envelope(elements));
    }
    let last = available_until(ctx, 1);
    let total =
        sum_stats((ds.history_start / DAY_MS..=last / DAY_MS).map(|d| data::page_stats(ds, i, d)));
    let p = "pageStatistics";
    let pv = "pageViews";
    let el = json!({
        key: urn,
        "totalPageStatistics": total,
        "pageStatisticsBySeniority": facet(ds, i, 200, "seniority", urns("seniority", data::SENIORITIES, 10), p, pv),
        "pageStatisticsByFunction": facet(ds, i, 202, "function", urns("function", data::FUNCTIONS, 26), p, pv),
        "pageStatisticsByIndustryV2": facet(ds, i, 204, "industryV2", urns("industry", data::INDUSTRIES, 12), p, pv),
        "pageStatisticsByStaffCountRange": facet(ds, i, 206, "staffCountRange",
            data::STAFF_RANGES.iter().map(|s| json!(s)).collect(), p, pv),
        "pageStatisticsByGeoCountry": facet(ds, i, 208, "geo", urns("geo", &data::GEOS[..8], 8), p, pv),
        "pageStatisticsByGeo": facet(ds, i, 210, "geo", urns("geo", &data::GEOS[8..], 6), p, pv),
    });
    Ok(stats_envelope(vec![el]))
}

fn post_json(ds: &Dataset, p: &Post) -> Value {
    let author = format!("urn:li:organization:{}", data::org_id(p.org));
    let h = data::hash(ds.seed, &[50, p.num]);
    let content = match p.kind {
        PostKind::Share => {
            json!({"article": {"source": format!("https://example.com/news/{}", p.k),
                                              "title": format!("News #{}", p.k),
                                              "description": "An article shared by the page"}})
        }
        PostKind::UgcPost => {
            json!({"media": {"id": format!("urn:li:image:D4E{}", p.num % 1_000_000),
                                              "altText": "An image"}})
        }
        PostKind::Video => json!({"media": {"id": format!("urn:li:video:C5F{}", p.num % 1_000_000),
                                            "title": format!("Video #{}", p.k)}}),
    };
    json!({
        "id": p.urn(),
        "author": author,
        "commentary": format!("Post {} from Mock Company {} {{hashtag|\\#|mock{}}}", p.k, p.org + 1, h % 5),
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "lifecycleStateInfo": {"isEditedByAuthor": p.last_modified > p.created + 60_000},
        "isReshareDisabledByAuthor": false,
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "content": content,
        "createdAt": p.created,
        "publishedAt": p.created,
        "lastModifiedAt": p.last_modified,
    })
}

fn posts(ctx: &Ctx, q: &Query) -> R {
    ctx.finder(q, "author")?;
    if ctx.v2
        && ctx
            .headers
            .get("x-restli-method")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|m| !m.eq_ignore_ascii_case("FINDER"))
    {
        return Err(invalid_query());
    }
    let author = required(q, "author")?;
    let (start, count) = ctx.paging(q, 100)?;
    let sort_created = match q.scalar("sortBy").map_err(param_err)?.as_deref() {
        None | Some("LAST_MODIFIED") => false,
        Some("CREATED") => true,
        Some(other) => return Err(ApiError::bad_request(&format!("Invalid sortBy '{other}'"))),
    };
    let i = ctx.authorize_org("posts", &author, "FINDER-author")?;
    // Only the requested page is serialised, so large datasets stay cheap.
    let all = ctx.ds.posts(i, ctx.now, sort_created);
    let total = all.len();
    let range = page_range(total, start, count, ctx.short_pages);
    let page: Vec<Value> = all
        .iter()
        .skip(range.start)
        .take(range.len())
        .map(|p| post_json(ctx.ds, p))
        .collect();
    let mut links = Vec::new();
    if start + count < total {
        links.push(json!({"type": "application/json", "rel": "next",
                          "href": format!("/rest/posts?q=author&start={}&count={count}", start + count)}));
    }
    Ok(
        json!({"paging": {"start": start, "count": count, "links": links, "total": total}, "elements": page}),
    )
}

/// The post behind a share/ugcPost URN, which must belong to a page the caller administers.
fn owned_post(ctx: &Ctx, urn: &str, resource: &str, method: &str) -> Result<Post, ApiError> {
    let num = urn
        .strip_prefix("urn:li:share:")
        .or_else(|| urn.strip_prefix("urn:li:ugcPost:"))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request(&format!("Invalid post URN '{urn}'")))?;
    let post = ctx
        .ds
        .post_by_num(num, ctx.now)
        .filter(|p| p.urn() == urn)
        .ok_or_else(|| ApiError::not_found(&format!("{urn} does not exist")))?;
    let rule = permissions::rule(resource)
        .ok_or_else(|| ApiError::not_found(&format!("No resource found for {resource}")))?;
    ctx.require_role(rule, post.org, method)?;
    Ok(post)
}

/// One comment as the mock serves it; fields in the order `json!` (sorted keys) wrote them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CommentJson<'a> {
    actor: &'a str,
    agent: &'a str,
    comment_urn: String,
    comments_summary: CommentsSummaryJson,
    content: [(); 0],
    created: StampJson<'a>,
    id: String,
    last_modified: StampJson<'a>,
    likes_summary: LikesSummaryJson,
    message: MessageJson,
    object: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CommentsSummaryJson {
    aggregated_total_comments: u64,
    selected_comments: [(); 0],
    total_first_level_comments: u64,
}

#[derive(serde::Serialize)]
struct StampJson<'a> {
    actor: &'a str,
    time: i64,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LikesSummaryJson {
    liked_by_current_user: bool,
    selected_likes: [(); 0],
    total_likes: u64,
}

#[derive(serde::Serialize)]
struct MessageJson {
    attributes: [(); 0],
    text: String,
}

fn comments(ctx: &Ctx, key: &str, q: &Query) -> Result<Vec<u8>, ApiError> {
    let urn = ctx.path_key(key)?;
    let (start, count) = ctx.paging(q, 100)?;
    ctx.require_scope("socialActions", "GET_ALL")?;
    if urn.starts_with("urn:li:comment:") {
        let page = replies(ctx, key, &urn, start, count)?;
        return serde_json::to_vec(&page)
            .map_err(|e| ApiError::new(500, "INTERNAL_SERVER_ERROR", None, &e.to_string()));
    }
    let post = owned_post(ctx, &urn, "socialActions", "GET_ALL")?;
    let activity = format!("urn:li:activity:{}", post.num);
    let all = ctx.ds.comments(&post, ctx.now);
    let total = all.len();
    let range = page_range(total, start, count, ctx.short_pages);
    let mut body = Vec::with_capacity(64 + range.len() * 640);
    body.extend_from_slice(b"{\"elements\":[");
    for (i, &(id, created, modified, h)) in all[range.clone()].iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let actor = format!("urn:li:person:m{}", h % 100_000);
        let replies = ctx.ds.replies((id, created, modified, h), ctx.now).len();
        let element = CommentJson {
            actor: &actor,
            agent: &actor,
            comment_urn: format!("urn:li:comment:({activity},{id})"),
            comments_summary: CommentsSummaryJson {
                aggregated_total_comments: replies as u64,
                selected_comments: [],
                total_first_level_comments: replies as u64,
            },
            content: [],
            created: StampJson {
                actor: &actor,
                time: created,
            },
            id: id.to_string(),
            last_modified: StampJson {
                actor: &actor,
                time: modified,
            },
            likes_summary: LikesSummaryJson {
                liked_by_current_user: false,
                selected_likes: [],
                total_likes: h % 7,
            },
            message: MessageJson {
                attributes: [],
                text: format!("Comment {} on post {}", id % 1000, post.k),
            },
            object: &activity,
        };
        serde_json::to_writer(&mut body, &element)
            .map_err(|e| ApiError::new(500, "INTERNAL_SERVER_ERROR", None, &e.to_string()))?;
    }
    body.extend_from_slice(b"],\"paging\":");
    let paging = paging_json(
        total,
        start,
        count,
        true,
        &format!("/rest/socialActions/{key}/comments?"),
    );
    serde_json::to_writer(&mut body, &paging)
        .map_err(|e| ApiError::new(500, "INTERNAL_SERVER_ERROR", None, &e.to_string()))?;
    body.push(b'}');
    Ok(body)
}

/// "Get Comments on Comments": `socialActions/{comment URN}/comments`, the replies to one
/// comment, each with `parentComment`
/// (learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api).
/// The comment URN is `urn:li:comment:(urn:li:activity:{post},{comment id})`.
fn replies(ctx: &Ctx, key: &str, parent: &str, start: usize, count: usize) -> R {
    let invalid = || ApiError::bad_request(&format!("Invalid comment URN '{parent}'"));
    let inner = parent
        .strip_prefix("urn:li:comment:(urn:li:activity:")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(invalid)?;
    let (num, id) = inner.split_once(',').ok_or_else(invalid)?;
    let (num, id) = match (num.parse::<u64>(), id.parse::<u64>()) {
        (Ok(n), Ok(i)) => (n, i),
        _ => return Err(invalid()),
    };
    let missing = || ApiError::not_found(&format!("{parent} does not exist"));
    let post = ctx.ds.post_by_num(num, ctx.now).ok_or_else(missing)?;
    let rule = permissions::rule("socialActions")
        .ok_or_else(|| ApiError::not_found("No resource found for socialActions"))?;
    ctx.require_role(rule, post.org, "GET_ALL")?;
    let comment = ctx
        .ds
        .comments(&post, ctx.now)
        .into_iter()
        .find(|c| c.0 == id)
        .ok_or_else(missing)?;
    let activity = format!("urn:li:activity:{num}");
    let elements: Vec<Value> = ctx
        .ds
        .replies(comment, ctx.now)
        .into_iter()
        .map(|(rid, created, h)| {
            let actor = format!("urn:li:person:m{}", h % 100_000);
            json!({
                "actor": actor,
                "commentUrn": format!("urn:li:comment:({activity},{rid})"),
                "id": rid.to_string(), "object": activity,
                "parentComment": parent,
                "message": {"text": format!("Reply {} to comment {}", rid % 100, id % 1000), "attributes": []},
                "content": [],
                "created": {"actor": actor, "time": created},
                "lastModified": {"actor": actor, "time": created},
                "likesSummary": {"totalLikes": h % 3, "likedByCurrentUser": false, "selectedLikes": []},
                "commentsSummary": {"aggregatedTotalComments": 0, "totalFirstLevelComments": 0, "selectedComments": []},
            })
        })
        .collect();
    Ok(collection(
        elements,
        start,
        count,
        ctx.short_pages,
        true,
        &format!("/rest/socialActions/{key}/comments?"),
    ))
}

fn reactions(ctx: &Ctx, key: &str, q: &Query) -> R {
    ctx.finder(q, "entity")?;
    let inner = key
        .strip_prefix("(entity:")
        .and_then(|k| k.strip_suffix(')'))
        .ok_or_else(|| ApiError::bad_request("Expected the key (entity:<encoded URN>)"))?;
    let urn = ctx.path_key(inner)?;
    let (start, count) = ctx.paging(q, 100)?;
    let reverse = match q.raw("sort") {
        None => true,
        Some("(value:REVERSE_CHRONOLOGICAL)") => true,
        Some("(value:CHRONOLOGICAL)" | "(value:RELEVANCE)") => false,
        Some(s) => return Err(ApiError::bad_request(&format!("Invalid sort '{s}'"))),
    };
    ctx.require_scope("reactions", "FINDER-entity")?;
    let post = owned_post(ctx, &urn, "reactions", "FINDER-entity")?;
    let activity = format!("urn:li:activity:{}", post.num);
    let mut list = ctx.ds.reactions(&post, ctx.now);
    if reverse {
        list.reverse();
    }
    let elements: Vec<Value> = list
        .into_iter()
        .map(|(actor, created, t)| {
            let person = format!("urn:li:person:r{actor}");
            json!({
                "id": format!("urn:li:reaction:({person},{activity})"),
                "reactionType": data::REACTION_TYPES[t],
                "root": activity,
                "created": {"actor": person, "impersonator": person, "time": created},
                "lastModified": {"actor": person, "impersonator": person, "time": created},
            })
        })
        .collect();
    Ok(collection(
        elements,
        start,
        count,
        ctx.short_pages,
        true,
        &format!("/rest/reactions/{key}?q=entity&"),
    ))
}

fn social_metadata(ctx: &Ctx, q: &Query) -> R {
    let ids = q
        .list("ids")
        .map_err(param_err)?
        .ok_or_else(invalid_query)?;
    if ids.len() > 100 {
        return Err(ApiError::bad_request(
            "Too many ids: at most 100 per BATCH_GET",
        ));
    }
    ctx.require_scope("socialMetadata", "BATCH_GET")?;
    let (mut results, mut statuses, mut errors) = (Map::new(), Map::new(), Map::new());
    for urn in ids {
        match owned_post(ctx, &urn, "socialMetadata", "BATCH_GET") {
            Ok(post) => {
                let mut summaries = Map::new();
                for (_, _, t) in ctx.ds.reactions(&post, ctx.now) {
                    let name = data::REACTION_TYPES[t];
                    let e = summaries
                        .entry(name.to_string())
                        .or_insert_with(|| json!({"reactionType": name, "count": 0}));
                    e["count"] = json!(e["count"].as_i64().unwrap_or(0) + 1);
                }
                let comments = ctx.ds.comments(&post, ctx.now);
                let n = comments.len();
                // `count` includes replies; `topLevelCount` does not.
                let all = n + comments
                    .into_iter()
                    .map(|c| ctx.ds.replies(c, ctx.now).len())
                    .sum::<usize>();
                results.insert(
                    urn.clone(),
                    json!({"entity": urn, "reactionSummaries": summaries,
                    "commentSummary": {"count": all, "topLevelCount": n}, "commentsState": "OPEN"}),
                );
                statuses.insert(urn, json!(200));
            }
            Err(e) => {
                errors.insert(
                    urn.clone(),
                    json!({"status": e.status, "message": e.body["message"]}),
                );
                statuses.insert(urn, json!(e.status));
            }
        }
    }
    Ok(json!({"results": results, "statuses": statuses, "errors": errors}))
}

fn video_analytics(ctx: &Ctx, q: &Query) -> R {
    ctx.finder(q, "entity")?;
    let urn = required(q, "entity")?;
    let kind = required(q, "type")?;
    let salt = match kind.as_str() {
        "VIDEO_VIEW" => 1,
        "VIEWER" => 2,
        "TIME_WATCHED" => 3,
        "TIME_WATCHED_FOR_VIDEO_VIEWS" => 4,
        other => return Err(ApiError::bad_request(&format!("Invalid type '{other}'"))),
    };
    match q.scalar("aggregation").map_err(param_err)?.as_deref() {
        None | Some("ALL") => {}
        Some(other) => {
            return Err(ApiError::bad_request(&format!(
                "Unsupported aggregation '{other}'"
            )))
        }
    }
    ctx.require_scope("videoAnalytics", "FINDER-entity")?;
    if !urn.starts_with("urn:li:ugcPost:") {
        return Err(ApiError::bad_request(
            "entity must be a ugcPost URN that contains a video",
        ));
    }
    let post = owned_post(ctx, &urn, "videoAnalytics", "FINDER-entity")?;
    if post.kind != PostKind::Video {
        return Err(ApiError::bad_request(&format!(
            "{urn} does not contain a video"
        )));
    }
    let age = (ctx.now - post.created) / DAY_MS + 1;
    let per_day = (data::hash(ctx.ds.seed, &[60 + salt, post.num]) % 50) as i64 + 5;
    let value = match salt {
        3 | 4 => age * per_day * 7_500,
        2 => age * per_day * 2 / 3,
        _ => age * per_day,
    };
    Ok(stats_envelope(vec![json!({
        "entity": urn, "type": kind, "value": value,
        "timeRange": {"start": post.created, "end": ctx.now},
    })]))
}

fn geo(q: &Query) -> R {
    let ids = q
        .list("ids")
        .map_err(param_err)?
        .ok_or_else(invalid_query)?;
    if ids.len() > 100 {
        return Err(ApiError::bad_request(
            "Too many ids: at most 100 per BATCH_GET",
        ));
    }
    let (mut results, mut statuses, mut errors) = (Map::new(), Map::new(), Map::new());
    for raw in ids {
        match data::GEOS.iter().find(|(id, _)| id.to_string() == raw) {
            Some((id, name)) => {
                results.insert(
                    raw.clone(),
                    json!({"id": id, "defaultLocalizedName":
                    {"locale": {"country": "US", "language": "en"}, "value": name}}),
                );
                statuses.insert(raw, json!(200));
            }
            None => {
                errors.insert(raw.clone(), json!({"status": 404, "message": "Not Found"}));
                statuses.insert(raw, json!(404));
            }
        }
    }
    Ok(json!({"results": results, "statuses": statuses, "errors": errors}))
}

fn taxonomy(ctx: &Ctx, q: &Query, kind: &str, table: &[(u64, &str)]) -> R {
    let (start, count) = ctx.paging(q, 100)?;
    let elements = table
        .iter()
        .map(|(id, name)| {
            json!({"id": id, "$URN": format!("urn:li:{kind}:{id}"),
                                  "name": {"localized": {"en_US": name}}})
        })
        .collect();
    Ok(collection(
        elements,
        start,
        count,
        ctx.short_pages,
        true,
        "?",
    ))
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter_map(|(k, v)| Some((percent_decode(k)?, percent_decode(v)?)))
        .collect()
}

fn oauth_error(status: u16, error: &str, description: &str) -> ApiError {
    ApiError {
        status,
        body: json!({"error": error, "error_description": description}),
        retry_after: false,
    }
}

/// `POST /oauth/v2/accessToken` (refresh grant; the code grant is in `authorize`) and `/oauth/v2/introspectToken`.
pub(crate) fn oauth(state: &AppState, op: &str, body: &[u8]) -> R {
    let f = form(body);
    let get = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    for key in ["client_id", "client_secret"] {
        if get(key).is_none() {
            return Err(oauth_error(
                400,
                "invalid_request",
                &format!("A required parameter \"{key}\" is missing"),
            ));
        }
    }
    if get("client_id") != Some("mock-client") || get("client_secret") != Some("mock-secret") {
        return Err(oauth_error(
            401,
            "invalid_client",
            "Client authentication failed",
        ));
    }
    let now_s = state.now() / 1000;
    match op {
        "accessToken" => {
            if get("grant_type") == Some("authorization_code") {
                return crate::authorize::exchange(state, &f);
            }
            if get("grant_type") != Some("refresh_token") {
                return Err(oauth_error(
                    400,
                    "unsupported_grant_type",
                    "Only authorization_code and refresh_token are supported here",
                ));
            }
            let remaining = match get("refresh_token") {
                None => return Err(oauth_error(400, "invalid_request",
                    "A required parameter \"refresh_token\" is missing")),
                Some("mock-refresh") => 300 * 86_400,
                Some("mock-refresh-expiring") => 12 * 86_400,
                Some(_) => return Err(oauth_error(400, "invalid_grant",
                    "The provided authorization grant or refresh token is invalid, expired or revoked")),
            };
            Ok(
                json!({"access_token": "mock-token", "expires_in": 5_184_000,
                      "refresh_token": get("refresh_token"), "refresh_token_expires_in": remaining,
                      "scope": crate::ALL_SCOPES.join(",")}),
            )
        }
        "introspectToken" => {
            let token = get("token").unwrap_or("");
            Ok(match token {
                "mock-expired" => json!({"active": false, "status": "expired"}),
                "mock-revoked" => json!({"active": false, "status": "revoked"}),
                t => match crate::token_scopes(t) {
                    Some(scopes) => {
                        json!({"active": true, "status": "active", "client_id": "mock-client",
                        "authorized_at": now_s - 86_400 * 10, "created_at": now_s - 86_400 * 10,
                        "expires_at": now_s + 86_400 * 50, "scope": scopes.join(","), "auth_type": "3L"})
                    }
                    None => json!({"active": false}),
                },
            })
        }
        _ => Err(ApiError::not_found("Unknown OAuth endpoint")),
    }
}

#[cfg(test)]
mod tests {
    use super::page_range;

    #[test]
    fn short_pages_cover_every_index_once_when_paged_by_count() {
        for total in 0..60 {
            for count in 1..13 {
                let mut seen = Vec::new();
                let mut start = 0;
                while start < total {
                    let r = page_range(total, start, count, true);
                    if start + count < total && count >= 2 {
                        assert!(r.len() < count, "non-final page is short");
                        assert!(!r.is_empty(), "never an empty non-final page");
                    }
                    seen.extend(r);
                    start += count;
                }
                assert_eq!(seen, (0..total).collect::<Vec<_>>(), "{total}/{count}");
                assert_eq!(page_range(total, start, count, true).len(), 0);
            }
        }
        assert_eq!(page_range(25, 10, 10, false), 10..20);
    }

    #[test]
    fn short_pages_lose_nothing_for_a_client_that_advances_by_what_it_received() {
        // Such a client sees some elements twice (pages start before `start`), never a gap.
        for total in 1..60 {
            for count in 1..13 {
                let mut seen = std::collections::BTreeSet::new();
                let mut start = 0;
                while start < total {
                    let r = page_range(total, start, count, true);
                    assert!(r.start <= start && !r.is_empty(), "{total}/{count}@{start}");
                    start += r.len();
                    seen.extend(r);
                }
                assert_eq!(seen.len(), total, "{total}/{count}");
            }
        }
    }
}
