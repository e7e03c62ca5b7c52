//! When each instance is next checked and scanned (pure). The monitor never works on all
//! instances at once: first checks are spread over the interval by a stable hash of the name,
//! later ones keep that phase, refusals back off exponentially, and dead instances (down for
//! 14 days) are checked daily.

use crate::round::Judged;

/// An instance down this long is dead: listed as such, checked once a day.
pub const DEAD_AFTER_SECS: i64 = 14 * 24 * 3600;
/// How often a dead instance, or the worst backoff, is checked.
pub const DAILY_SECS: i64 = 24 * 3600;

/// A stable spread in `0..interval` for `host` (FNV-1a), so a restart keeps the phases.
pub fn phase(host: &str, interval: i64) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in host.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let interval = interval.max(1);
    i64::try_from(h % u64::try_from(interval).unwrap_or(1)).unwrap_or(0)
}

/// What the next check of one instance looks like after this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextCheck {
    pub at: i64,
    pub refused_streak: i64,
    /// `Some(since)` when the instance is now dead, `None` when alive.
    pub dead_since: Option<i64>,
}

/// The next check time, backoff and dead state after a check at `now` (pure).
/// `first_down_at` is when the current run of failures began (this check included); an
/// instance down for `dead_after` seconds ([`DEAD_AFTER_SECS`] in service) is dead.
#[allow(clippy::too_many_arguments)]
pub fn next_check(
    now: i64,
    interval: i64,
    dead_after: i64,
    judged: &Judged,
    refused_streak: i64,
    first_down_at: Option<i64>,
    dead_since: Option<i64>,
) -> NextCheck {
    if judged.void {
        // The monitor's own trouble says nothing about the instance: keep its state.
        return NextCheck {
            at: now + interval,
            refused_streak,
            dead_since,
        };
    }
    if judged.up {
        return NextCheck {
            at: now + interval,
            refused_streak: 0,
            dead_since: None,
        };
    }
    let streak = if judged.refused {
        refused_streak.saturating_add(1)
    } else {
        0
    };
    let dead = match (dead_since, first_down_at) {
        (Some(since), _) => Some(since),
        (None, Some(first)) if now - first >= dead_after => Some(now),
        _ => None,
    };
    let wait = if dead.is_some() {
        DAILY_SECS
    } else {
        // 2, 4, 8 … intervals after repeated refusals, never more than a day.
        let factor = 1_i64 << streak.clamp(0, 10);
        interval
            .saturating_mul(factor)
            .min(DAILY_SECS.max(interval))
    };
    NextCheck {
        at: now + wait,
        refused_streak: streak,
        dead_since: dead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(up: bool, refused: bool, void: bool) -> Judged {
        Judged { up, refused, void }
    }

    #[test]
    fn phases_are_stable_and_spread() {
        assert_eq!(phase("a.example", 300), phase("a.example", 300));
        let phases: std::collections::BTreeSet<i64> = (0..100)
            .map(|i| phase(&format!("i{i}.example"), 300))
            .collect();
        assert!(phases.len() > 60, "{phases:?}");
        assert!(phases.iter().all(|p| (0..300).contains(p)));
    }

    #[test]
    fn refusals_back_off_and_fourteen_days_down_is_dead() {
        let n = next_check(
            1000,
            300,
            DEAD_AFTER_SECS,
            &judged(false, true, false),
            0,
            Some(1000),
            None,
        );
        assert_eq!((n.at, n.refused_streak), (1000 + 600, 1));
        let n = next_check(
            1000,
            300,
            DEAD_AFTER_SECS,
            &judged(false, true, false),
            3,
            Some(900),
            None,
        );
        assert_eq!(n.at, 1000 + 300 * 16);
        let n = next_check(
            1000,
            300,
            DEAD_AFTER_SECS,
            &judged(false, true, false),
            40,
            Some(900),
            None,
        );
        assert_eq!(n.at, 1000 + DAILY_SECS);
        let later = 1000 + DEAD_AFTER_SECS;
        let n = next_check(
            later,
            300,
            DEAD_AFTER_SECS,
            &judged(false, false, false),
            0,
            Some(1000),
            None,
        );
        assert_eq!((n.dead_since, n.at), (Some(later), later + DAILY_SECS));
        let n = next_check(
            later,
            300,
            DEAD_AFTER_SECS,
            &judged(true, false, false),
            0,
            None,
            Some(5),
        );
        assert_eq!((n.dead_since, n.at), (None, later + 300));
        let n = next_check(
            later,
            300,
            DEAD_AFTER_SECS,
            &judged(false, false, true),
            2,
            Some(1),
            Some(5),
        );
        assert_eq!((n.dead_since, n.refused_streak), (Some(5), 2));
    }
}
