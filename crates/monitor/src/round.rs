//! Honest uptime: a failed check is the instance's downtime only when the monitor itself could
//! reach the Internet. A round of checks is void when the canary the operator named failed, when
//! most of a large enough round failed at once (the common cause is then the monitor), or, for a
//! single check, when the failure was local (no route from this machine).

/// One check's raw outcome, as the round sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub up: bool,
    /// Connection refused (for backoff).
    pub refused: bool,
    /// The failure happened on this machine (network unreachable, no route).
    pub local: bool,
}

/// One check after judging its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub up: bool,
    pub refused: bool,
    /// Not counted as uptime or downtime.
    pub void: bool,
}

/// A round needs this many checks before "most failed" may void it.
pub const MIN_ROUND: usize = 5;

/// Judges a round (pure): `canary_up` is `None` when no canary is configured.
pub fn judge(outcomes: &[Outcome], canary_up: Option<bool>) -> Vec<Judged> {
    let failed = outcomes.iter().filter(|o| !o.up).count();
    let most_failed = outcomes.len() >= MIN_ROUND && failed * 2 > outcomes.len();
    let round_void = canary_up == Some(false) || most_failed;
    outcomes
        .iter()
        .map(|o| Judged {
            up: o.up,
            refused: o.refused,
            // An instance that answered was up whatever else happened.
            void: !o.up && (round_void || o.local),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(up: bool) -> Outcome {
        Outcome {
            up,
            refused: false,
            local: false,
        }
    }

    #[test]
    fn a_round_where_most_fail_is_void() {
        let all_down = vec![o(false); 12];
        assert!(judge(&all_down, None).iter().all(|j| j.void));
        let mut some = vec![o(true); 10];
        some.push(o(false));
        let j = judge(&some, None);
        assert!(!j[10].void && !j[10].up);
        // Too small a round to tell, unless the canary says so.
        let small = vec![o(false); 3];
        assert!(judge(&small, None).iter().all(|j| !j.void));
        assert!(judge(&small, Some(false)).iter().all(|j| j.void));
        assert!(judge(&small, Some(true)).iter().all(|j| !j.void));
        let local = Outcome {
            up: false,
            refused: false,
            local: true,
        };
        assert!(judge(&[local], None)[0].void);
    }
}
