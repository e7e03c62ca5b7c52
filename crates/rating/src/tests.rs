//! The rating from a model instance, one part changed at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn model() -> Parts {
    Parts {
        http_score: Some(115),
        tls: Some(Tls {
            https: true,
            grade: Some(Grade::APlus),
            grade_if_trusted: None,
            trusted: true,
            hostname_match: true,
        }),
        software: Some(Software {
            latest_on_branch: true,
            branch_supported: true,
            missed_advisories: 0,
            missed_dependency_fixes: 0,
        }),
        ipv6: Some(Ipv6 {
            aaaa: true,
            reachable: true,
            same_site: true,
        }),
        dnssec: Some(Dnssec::Secure),
        uptime: Some(0.9995),
    }
}

#[test]
fn a_model_instance_gets_a_plus() {
    let r = rate(&model());
    assert_eq!((r.score, r.letter), (100, Grade::APlus));
    assert!(r.caps.is_empty());
    let sum: f64 = r.parts.iter().map(|p| p.effective_weight).sum();
    assert!((sum - 100.0).abs() < 1e-9);
}

#[test]
fn weights_sum_to_100() {
    assert_eq!(WEIGHTS.iter().map(|w| w.1).sum::<u32>(), 100);
}

#[test]
fn unmeasured_parts_are_left_out_not_zeroed() {
    let mut p = model();
    p.uptime = None;
    p.dnssec = Some(Dnssec::Indeterminate);
    let r = rate(&p);
    assert_eq!(r.score, 100);
    let uptime = r.parts.iter().find(|x| x.part == Part::Uptime).unwrap();
    assert_eq!((uptime.score, uptime.effective_weight), (None, 0.0));
    let http = r.parts.iter().find(|x| x.part == Part::Http).unwrap();
    assert!((http.effective_weight - 25.0 * 100.0 / 80.0).abs() < 1e-9);
}

#[test]
fn no_https_caps_f() {
    let mut p = model();
    p.tls.as_mut().unwrap().https = false;
    let r = rate(&p);
    assert_eq!(r.letter, Grade::F);
    assert_eq!(r.caps[0].letter, Grade::F);
}

#[test]
fn untrusted_certificate_caps_d_but_scores_the_configuration() {
    let mut p = model();
    let t = p.tls.as_mut().unwrap();
    t.trusted = false;
    t.grade = None;
    t.grade_if_trusted = Some(Grade::APlus);
    let r = rate(&p);
    assert_eq!(r.uncapped_letter, Grade::APlus);
    assert_eq!(r.letter, Grade::D);
}

#[test]
fn missed_advisories_cap_c_and_cost_points() {
    let mut p = model();
    p.software.as_mut().unwrap().missed_advisories = 3;
    let r = rate(&p);
    assert_eq!(r.letter, Grade::C);
    assert_eq!(r.score, 86); // 20 % weight at 30 points
}

#[test]
fn end_of_life_branch_caps_c() {
    let mut p = model();
    p.software.as_mut().unwrap().branch_supported = false;
    assert_eq!(rate(&p).letter, Grade::C);
}

#[test]
fn bogus_dnssec_caps_d() {
    let mut p = model();
    p.dnssec = Some(Dnssec::Bogus);
    assert_eq!(rate(&p).letter, Grade::D);
}

#[test]
fn uptime_scale() {
    let score = |u| {
        let p = Parts {
            uptime: Some(u),
            ..Parts::default()
        };
        rate(&p).score
    };
    assert_eq!(score(0.999), 100);
    assert_eq!(score(0.95), 51);
    assert_eq!(score(0.90), 0);
    assert_eq!(score(0.5), 0);
}

#[test]
fn the_original_lists_flaw_is_fixed_uptime_cannot_carry_a_weak_site() {
    // The original list gave 50 points for uptime alone; here a perfectly available site with
    // no HTTPS stays at F.
    let mut p = model();
    p.tls.as_mut().unwrap().https = false;
    p.http_score = Some(0);
    p.uptime = Some(1.0);
    assert_eq!(rate(&p).letter, Grade::F);
}

#[test]
fn nothing_measured_is_zero() {
    let r = rate(&Parts::default());
    assert_eq!((r.score, r.letter), (0, Grade::F));
}

#[test]
fn a_low_score_gives_e_and_e_is_below_d() {
    let mut p = model();
    p.http_score = Some(0);
    p.tls.as_mut().unwrap().grade = Some(Grade::F);
    p.software = Some(Software {
        latest_on_branch: false,
        branch_supported: true,
        missed_advisories: 0,
        missed_dependency_fixes: 1,
    });
    p.ipv6 = None;
    p.uptime = None;
    p.dnssec = None;
    // 25 * 0 + 25 * 0 + 20 * 60 over 70 = 17: F. Raise HTTP to reach E.
    p.http_score = Some(60);
    let r = rate(&p);
    assert_eq!(r.letter, Grade::E, "score {}", r.score);
    assert!(!r.letter.at_least(Grade::D));
}

#[test]
fn gains_order_changes_by_what_they_are_worth() {
    let mut p = model();
    p.http_score = Some(50);
    p.dnssec = Some(Dnssec::Insecure);
    let http = gain(&p, &Improvement::Http { points: 50 });
    let dnssec = gain(&p, &Improvement::Dnssec);
    assert!(http.points > dnssec.points, "{http:?} {dnssec:?}");
    assert!(dnssec.points > 0);
    // A part already at its best gains nothing.
    assert_eq!(gain(&p, &Improvement::Ipv6).points, 0);
    // Lifting a cap shows in the letter even when the score barely moves.
    p.software = Some(Software {
        latest_on_branch: false,
        branch_supported: false,
        missed_advisories: 3,
        missed_dependency_fixes: 0,
    });
    let sw = gain(&p, &Improvement::Software);
    assert_eq!(sw.letter_before, Grade::C);
    assert!(sw.letter_after.at_least(Grade::B));
}
