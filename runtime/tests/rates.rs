//! Throughput report (not a test of speed: it only prints). Run with
//! `cargo test -p yao-runtime --release --test rates -- --ignored --nocapture`.

mod common;

use yao_runtime::bench::garbling::*;

#[test]
#[ignore]
fn print_rates() {
    let secs: f64 = std::env::var("YAO_RATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let ceiling = aes_ceiling(secs);
    println!("ceiling.aes_blocks_per_s: {ceiling:.4e}");
    for batch in [30, 120, 480, 1024] {
        let r = tccr_rate(secs / 2.0, batch);
        println!(
            "tccr.batch{batch}.blocks_per_s: {r:.4e} ({:.2} of AES/2)",
            r / (ceiling / 2.0)
        );
    }
    for per_key in [1, 2] {
        let r = multi_instance_rate(secs / 2.0, per_key);
        println!("multi_instance.per_key{per_key}.blocks_per_s: {r:.4e}");
    }
    for step in [16, 64, 256] {
        let (g, e) = kernel_rates(secs / 2.0, step);
        println!("kernel.step{step}: garble {g:.4e} ({:.3} of ceiling/8), eval {e:.4e} ({:.3} of ceiling/4)", g / (ceiling / 8.0), e / (ceiling / 4.0));
    }
    for name in ["aes_128", "sha256"] {
        let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
            return;
        };
        let g = garble_rate(&c, secs);
        let e = eval_rate(&c, secs);
        println!(
            "garble.{name}.and_per_s: {g:.4e} ({:.3} of ceiling/8)",
            g / (ceiling / 8.0)
        );
        println!(
            "eval.{name}.and_per_s: {e:.4e} ({:.3} of ceiling/4)",
            e / (ceiling / 4.0)
        );
    }
}

#[test]
#[ignore]
fn print_plan_shapes() {
    for name in ["aes_128", "sha256"] {
        let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
            return;
        };
        let p = yao_runtime::plan::Plan::new(&c).unwrap();
        let s = c.stats();
        let mut hist = std::collections::BTreeMap::new();
        for i in 0..p.num_steps() {
            *hist.entry(p.step_ands(i)).or_insert(0) += 1;
        }
        println!(
            "{name}: and {} xor {} not {} depth {} peak_live {} | steps {} slots {} max_step {} sizes {:?}",
            s.and,
            s.xor,
            s.not,
            s.and_depth,
            s.peak_live_wires,
            p.num_steps(),
            p.num_slots(),
            p.max_step_ands(),
            hist
        );
    }
}

/// For `perf record`: garbles (or with YAO_PROFILE=eval, evaluates) one
/// circuit for a few seconds.
#[test]
#[ignore]
fn profile_one() {
    let name = std::env::var("YAO_PROFILE_CIRCUIT").unwrap_or("aes_128".into());
    let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
        return;
    };
    let r = if std::env::var("YAO_PROFILE").as_deref() == Ok("eval") {
        eval_rate(&c, 3.0)
    } else {
        garble_rate(&c, 3.0)
    };
    println!("rate: {r:.4e}");
}
