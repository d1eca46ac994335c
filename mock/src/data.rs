//! Deterministic, on-the-fly data: every value is a hash of (seed, entity, time), so a
//! dataset of millions of records costs no memory and a restart serves identical data.
//!
//! Time matters: posts, comments and reactions exist only once the mock's clock has passed
//! their creation time, and edited posts move their `lastModifiedAt` forward as the clock
//! advances, so incremental syncs can be tested honestly. What is generated here is data
//! only; the HTTP shapes live in `api.rs`.

use serde_json::{json, Value};

pub const DAY_MS: i64 = 86_400_000;

/// The size and shape of the generated dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub seed: u64,
    pub orgs: u32,
    pub posts_per_org: u32,
    /// Days of history before the anchor (the clock at start).
    pub days: u32,
    pub comments_per_post: u32,
    pub reactions_per_post: u32,
    /// Replies to every other comment.
    pub replies_per_comment: u32,
    /// Start of history, epoch ms (UTC midnight).
    pub history_start: i64,
    /// The clock at start-up; posts are spread over `[history_start, anchor)`.
    pub anchor: i64,
}

/// A 64-bit mix of the seed and some parts (splitmix64 folded).
pub fn hash(seed: u64, parts: &[u64]) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for p in parts {
        h = mix(h ^ p.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub const ORG_BASE: u64 = 2_414_183;

/// Organization id of the i-th organization (0-based).
pub fn org_id(i: u32) -> u64 {
    ORG_BASE + u64::from(i) * 1_009
}

/// The 0-based index of an organization id, when it is one of ours.
pub fn org_index(ds: &Dataset, id: u64) -> Option<u32> {
    let off = id.checked_sub(ORG_BASE)?;
    if off % 1_009 != 0 {
        return None;
    }
    let i = u32::try_from(off / 1_009).ok()?;
    (i < ds.orgs).then_some(i)
}

/// Kinds of post: plain shares, image/document ugcPosts and video ugcPosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    Share,
    UgcPost,
    Video,
}

/// One post, as generated for a given clock.
#[derive(Debug, Clone)]
pub struct Post {
    pub org: u32,
    pub k: u64,
    pub num: u64,
    pub kind: PostKind,
    pub created: i64,
    pub last_modified: i64,
}

impl Post {
    pub fn urn(&self) -> String {
        match self.kind {
            PostKind::Share => format!("urn:li:share:{}", self.num),
            _ => format!("urn:li:ugcPost:{}", self.num),
        }
    }
}

const POST_NUM_BASE: u64 = 7_100_000_000_000_000_000;

impl Dataset {
    fn post_interval(&self) -> i64 {
        let span = i64::from(self.days.max(1)) * DAY_MS;
        (span / i64::from(self.posts_per_org.max(1))).max(1)
    }

    /// Post `k` of organization `org`, if it exists at time `now`.
    pub fn post(&self, org: u32, k: u64, now: i64) -> Option<Post> {
        if self.posts_per_org == 0 {
            return None;
        }
        let interval = self.post_interval();
        let h = hash(self.seed, &[1, u64::from(org), k]);
        let created = self.history_start
            + (k as i64) * interval
            + (h % (interval.max(2) as u64 / 2).max(1)) as i64;
        if created > now {
            return None;
        }
        let kind = match k % 8 {
            3 => PostKind::Video,
            5 => PostKind::UgcPost,
            _ => PostKind::Share,
        };
        // A third of the posts are edited every few days, so the clock moves them.
        let last_modified = if h % 3 == 0 {
            let period = (2 + (h >> 8) % 10) as i64 * DAY_MS;
            created + (now - created) / period * period + 60_000
        } else {
            created + 60_000
        }
        .min(now);
        Some(Post {
            org,
            k,
            num: POST_NUM_BASE + u64::from(org) * 100_000_000 + k,
            kind,
            created,
            last_modified,
        })
    }

    /// All posts of `org` visible at `now`, newest `lastModifiedAt` first.
    pub fn posts(&self, org: u32, now: i64, sort_created: bool) -> Vec<Post> {
        let interval = self.post_interval();
        let max_k = ((now - self.history_start).max(0) / interval) as u64 + 1;
        let mut posts: Vec<Post> = (0..max_k).filter_map(|k| self.post(org, k, now)).collect();
        if sort_created {
            posts.sort_by(|a, b| b.created.cmp(&a.created).then(b.num.cmp(&a.num)));
        } else {
            posts.sort_by(|a, b| {
                b.last_modified
                    .cmp(&a.last_modified)
                    .then(b.num.cmp(&a.num))
            });
        }
        posts
    }

    /// Finds a post by number.
    pub fn post_by_num(&self, num: u64, now: i64) -> Option<Post> {
        let off = num.checked_sub(POST_NUM_BASE)?;
        let org = u32::try_from(off / 100_000_000).ok()?;
        if org >= self.orgs {
            return None;
        }
        self.post(org, off % 100_000_000, now)
    }

    /// Comments on a post visible at `now`, oldest first: (id, created, last modified, author hash).
    pub fn comments(&self, post: &Post, now: i64) -> Vec<(u64, i64, i64, u64)> {
        let n = u64::from(self.comments_per_post);
        let spread = 40 * DAY_MS;
        (0..n)
            .filter_map(|m| {
                let h = hash(self.seed, &[2, post.num, m]);
                let created = post.created
                    + (m as i64 + 1) * spread / (n as i64 + 1)
                    + (h % 3_600_000) as i64;
                if created > now {
                    return None;
                }
                let modified = if h % 7 == 0 {
                    (created + 2 * DAY_MS).min(now)
                } else {
                    created
                };
                let id = 7_200_000_000_000_000_000
                    + (u64::from(post.org) * 10_000_000 + post.k) * 1_000
                    + m;
                Some((id, created, modified, h))
            })
            .collect()
    }

    /// Replies to a comment (one of `comments`' tuples) visible at `now`, oldest first:
    /// (id, created, hash). Comments whose hash is even have `replies_per_comment`
    /// replies, each an hour after the one before.
    pub fn replies(&self, comment: (u64, i64, i64, u64), now: i64) -> Vec<(u64, i64, u64)> {
        let (id, created, _, h) = comment;
        if h % 2 == 1 {
            return Vec::new();
        }
        (0..u64::from(self.replies_per_comment))
            .filter_map(|r| {
                let at = created + (r as i64 + 1) * 3_600_000;
                // Reply ids: 100 per comment, above every comment id.
                let base = id - 7_200_000_000_000_000_000;
                let reply = 7_300_000_000_000_000_000 + base * 100 + r + 1;
                (at <= now).then(|| (reply, at, hash(self.seed, &[4, id, r])))
            })
            .collect()
    }

    /// Reactions on a post visible at `now`, oldest first: (actor id, created, type index).
    pub fn reactions(&self, post: &Post, now: i64) -> Vec<(u64, i64, usize)> {
        let n = u64::from(self.reactions_per_post);
        let spread = 20 * DAY_MS;
        (0..n)
            .filter_map(|r| {
                let h = hash(self.seed, &[3, post.num, r]);
                let created =
                    post.created + (r as i64 + 1) * spread / (n as i64 + 1) + (h % 600_000) as i64;
                (created <= now).then_some((h % 1_000_000_007, created, (h >> 20) as usize % 6))
            })
            .collect()
    }
}

pub const REACTION_TYPES: [&str; 6] = [
    "LIKE",
    "PRAISE",
    "EMPATHY",
    "INTEREST",
    "APPRECIATION",
    "ENTERTAINMENT",
];

pub const SENIORITIES: &[(u64, &str)] = &[
    (1, "Unpaid"),
    (2, "Training"),
    (3, "Entry"),
    (4, "Senior"),
    (5, "Manager"),
    (6, "Director"),
    (7, "VP"),
    (8, "CXO"),
    (9, "Partner"),
    (10, "Owner"),
];

pub const FUNCTIONS: &[(u64, &str)] = &[
    (1, "Accounting"),
    (2, "Administrative"),
    (3, "Arts and Design"),
    (4, "Business Development"),
    (5, "Community and Social Services"),
    (6, "Consulting"),
    (7, "Education"),
    (8, "Engineering"),
    (9, "Entrepreneurship"),
    (10, "Finance"),
    (11, "Healthcare Services"),
    (12, "Human Resources"),
    (13, "Information Technology"),
    (14, "Legal"),
    (15, "Marketing"),
    (16, "Media and Communication"),
    (17, "Military and Protective Services"),
    (18, "Operations"),
    (19, "Product Management"),
    (20, "Program and Project Management"),
    (21, "Purchasing"),
    (22, "Quality Assurance"),
    (23, "Real Estate"),
    (24, "Research"),
    (25, "Sales"),
    (26, "Customer Success and Support"),
];

pub const INDUSTRIES: &[(u64, &str)] = &[
    (4, "Software Development"),
    (6, "Technology, Information and Internet"),
    (11, "Business Consulting and Services"),
    (14, "Hospitals and Health Care"),
    (27, "Retail"),
    (41, "Banking"),
    (43, "Financial Services"),
    (44, "Real Estate"),
    (47, "Accounting"),
    (53, "Motor Vehicle Manufacturing"),
    (68, "Higher Education"),
    (80, "Advertising Services"),
    (96, "IT Services and IT Consulting"),
    (104, "Staffing and Recruiting"),
    (137, "Human Resources Services"),
];

pub const GEOS: &[(u64, &str)] = &[
    (103644278, "United States"),
    (101165590, "United Kingdom"),
    (101282230, "Germany"),
    (105015875, "France"),
    (102713980, "India"),
    (101174742, "Canada"),
    (102890719, "Netherlands"),
    (105646813, "Spain"),
    (90000084, "San Francisco Bay Area"),
    (90000070, "New York City Metropolitan Area"),
    (90009496, "Greater London"),
    (90009728, "Berlin Metropolitan Area"),
    (90009659, "Greater Paris Metropolitan Region"),
    (90010383, "Greater Bengaluru Area"),
];

pub const STAFF_RANGES: [&str; 9] = [
    "SIZE_1",
    "SIZE_2_TO_10",
    "SIZE_11_TO_50",
    "SIZE_51_TO_200",
    "SIZE_201_TO_500",
    "SIZE_501_TO_1000",
    "SIZE_1001_TO_5000",
    "SIZE_5001_TO_10000",
    "SIZE_10001_OR_MORE",
];

/// A count in `[lo, lo + span)` for (kind, org, day).
pub fn metric(ds: &Dataset, kind: u64, org: u32, day: i64, lo: i64, span: u64) -> i64 {
    lo + (hash(ds.seed, &[kind, u64::from(org), day as u64]) % span.max(1)) as i64
}

/// Daily follower gains (organic may be negative on unfollow-heavy days).
pub fn follower_gains(ds: &Dataset, org: u32, day: i64) -> (i64, i64) {
    (
        metric(ds, 10, org, day, -5, 40),
        metric(ds, 11, org, day, 0, 5),
    )
}

/// Daily organic share statistics.
pub fn share_stats(ds: &Dataset, org: u32, day: i64) -> Value {
    let impressions = metric(ds, 20, org, day, 100, 5_000);
    let clicks = metric(ds, 21, org, day, 0, 200);
    let likes = metric(ds, 22, org, day, -2, 80);
    let comments = metric(ds, 23, org, day, 0, 20);
    let shares = metric(ds, 24, org, day, 0, 10);
    share_json(
        impressions,
        clicks,
        likes,
        comments,
        shares,
        metric(ds, 25, org, day, 50, 3_000),
    )
}

pub fn share_json(
    impr: i64,
    clicks: i64,
    likes: i64,
    comments: i64,
    shares: i64,
    unique: i64,
) -> Value {
    let engagement = if impr > 0 {
        (clicks + likes + comments + shares) as f64 / impr as f64
    } else {
        0.0
    };
    json!({
        "uniqueImpressionsCount": unique, "shareCount": shares, "engagement": engagement,
        "clickCount": clicks, "likeCount": likes, "impressionCount": impr, "commentCount": comments
    })
}

pub const PAGE_VIEW_KEYS: [&str; 15] = [
    "allPageViews",
    "allDesktopPageViews",
    "allMobilePageViews",
    "overviewPageViews",
    "desktopOverviewPageViews",
    "mobileOverviewPageViews",
    "aboutPageViews",
    "careersPageViews",
    "jobsPageViews",
    "lifeAtPageViews",
    "peoplePageViews",
    "insightsPageViews",
    "productsPageViews",
    "desktopCareersPageViews",
    "mobileCareersPageViews",
];

/// Daily page views per key, plus careers clicks.
pub fn page_stats(ds: &Dataset, org: u32, day: i64) -> Value {
    let mut views = serde_json::Map::new();
    for (i, key) in PAGE_VIEW_KEYS.iter().enumerate() {
        views.insert(
            (*key).to_string(),
            json!({"pageViews": metric(ds, 30 + i as u64, org, day, 0, 400)}),
        );
    }
    let c = |k: u64| metric(ds, 60 + k, org, day, 0, 30);
    json!({
        "views": views,
        "clicks": {
            "careersPageClicks": {"careersPageJobsClicks": c(1), "careersPagePromoLinksClicks": c(2),
                                  "careersPageBannerPromoClicks": c(3), "careersPageEmployeesClicks": c(4)},
            "mobileCareersPageClicks": {"careersPageJobsClicks": c(5), "careersPagePromoLinksClicks": c(6),
                                        "careersPageBannerPromoClicks": c(7), "careersPageEmployeesClicks": c(8)}
        }
    })
}

/// Lifetime per-post share statistics, growing with the post's age.
pub fn post_share_stats(ds: &Dataset, post: &Post, now: i64) -> Value {
    let age = ((now - post.created) / DAY_MS + 1).max(1);
    let h = |k: u64| hash(ds.seed, &[40 + k, post.num]);
    let impr = age * (10 + (h(1) % 90) as i64);
    share_json(
        impr,
        age * (h(2) % 5) as i64,
        age * (h(3) % 4) as i64,
        age * (h(4) % 2) as i64,
        (h(5) % 3) as i64,
        impr * 2 / 3,
    )
}
