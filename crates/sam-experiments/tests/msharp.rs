//! Issue 14's claim tests of the MNIST m-sharpness study (report 06, section `mnist-msharp`), on
//! the real images: the SAM paper's definition (§4.1; review §2.3) "m = batch size is plain SAM",
//! and the study's sharpness measurement against the first-order value it must exceed.

use sam_experiments::mnist::msharp::kappa;
use sam_mnist::model::{Params, SIZES};
use sam_mnist::train::{batch_loss_grad, train_with, Optimizer, SampleSets, TrainConfig};
use sam_params::ParamGuard;

mod common;

fn sets() -> Option<SampleSets> {
    let d = common::mnist_dir()?;
    let data = sam_mnist::data::load_dir(&d).unwrap();
    Some(SampleSets::new(&data, 200).unwrap())
}

/// "m = batch size is plain SAM" (RESEARCH.md §1; SAM paper §4.1): with one chunk per batch the
/// m-sharpness update is SAM's, bit for bit, over two epochs of real MNIST; m = 5 differs.
#[test]
fn m_equal_to_batch_is_sam_bit_for_bit() {
    let Some(sets) = sets() else { return };
    let cfg = |m| TrainConfig {
        epochs: 2,
        train_size: 200,
        m_sharpness: m,
        ..TrainConfig::paper(Optimizer::Sam { rho: 0.2 }, 3)
    };
    let run = |m| train_with(&cfg(m).check().unwrap(), &sets, 1, |_| {}).unwrap();
    let (sam, m10, m5) = (run(None), run(Some(10)), run(Some(5)));
    assert_eq!(sam.params, m10.params);
    assert_eq!(sam.rows, {
        let mut r = m10.rows.clone();
        for (a, b) in r.iter_mut().zip(&sam.rows) {
            (a.wall_s, a.cpu_s) = (b.wall_s, b.cpu_s);
        }
        r
    });
    assert_ne!(sam.params, m5.params);
}

/// The study's chunk sharpness is at least the loss rise along SAM's first-order ê = ρ g/‖g‖
/// (of norm ρ; the ascent starts there and never decreases), computed here independently with
/// the engine's gradient and a forward pass at w + ê.
#[test]
fn chunk_kappa_is_at_least_the_rise_along_sams_first_order_perturbation() {
    let Some(sets) = sets() else { return };
    let p = Params::init(&SIZES, 1);
    let rho = 0.05;
    for rows in [vec![3usize], vec![0, 1], vec![10, 11, 12, 13, 14]] {
        let (l0, g) = batch_loss_grad(&p, &sets.train, &rows);
        let gn = g.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        let e: Vec<f64> = g.iter().map(|v| rho * *v as f64 / gn).collect();
        let en = e.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((en - rho).abs() < 1e-12 * rho, "‖ê‖ = {en}");
        let shifted: Vec<f32> = p
            .flat()
            .iter()
            .zip(&e)
            .map(|(w, d)| (*w as f64 + d) as f32)
            .collect();
        let ps = Params::from_flat(&SIZES, shifted).unwrap();
        let rise = batch_loss_grad(&ps, &sets.train, &rows).0 as f64 - l0 as f64;
        let k = kappa(&p, &sets.train, &rows, rho, 5).unwrap();
        assert!(
            rise > 0.0 && k >= rise - 1e-6,
            "κ {k} below the rise {rise} along ê"
        );
    }
}
