//! Why two f32 implementations of one MNIST run drift apart (issue 11, item 20; report
//! `03-mnist.md`, section `mnist-drift`).
//!
//! samlab and the JAX reference, from the same initial weights and batch order, agree to 1e-6
//! after Adam's first epoch and then drift (1e-4 to 1e-3 in the test loss by epoch 3), while SGD
//! and SAM at the review's learning rate stay within 1e-5. The explanation proposed in the
//! issue is Adam's normalisation turning the rounding of near-zero gradient components into
//! steps of a sizable fraction of lr. This study tests it inside samlab, where the arithmetic is
//! fixed: each run goes in lockstep with a copy whose initial weights are moved by one ulp
//! (every nonzero weight one representable f32 up or down), and at every step it records the
//! distance between the two weight vectors and the ReLU flips: the (sample, hidden unit) pairs
//! of the step's batch that are on in one run and off in the other, as the training engine's
//! forward pass computes them ([`relu_pattern`]: an f64 evaluation would miss a unit within f32
//! rounding of its kink). A flip makes the two gradients differ by that unit's whole
//! contribution, not by rounding. For SAM the flips of its second pass, at w + ê, count too (a
//! flip there changes the gradient the step takes just as much). What it finds is in
//! [`Verdicts`]; the runs start from the JAX
//! replay's weights and order ([`JAX_REPLAY`]) and from samlab's own.

use crate::{ExperimentError, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sam_mnist::data::{load, LoadOptions};
use sam_mnist::model::{Params, SIZES};
use sam_mnist::train::{
    batch_loss_grad, batch_orders, evaluate, load_replay, relu_pattern, trajectory, Optimizer,
    SampleSets, TrainConfig,
};
use sam_params::ParamGuard;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver};

/// The experiment's folder name under `results/` (and its `--only` name).
pub const NAME: &str = "mnist-drift";

/// Where a run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// The JAX reference's seed-0 initial weights and batch order ([`JAX_REPLAY`]): the start
    /// of the replay whose drift is explained here.
    JaxSeed0,
    /// samlab's own initial weights and batch order for the run's seed.
    Own,
}

/// The JAX reference's seed-0 start (weights and 3 epochs of batch order), relative to the
/// repository root.
pub const JAX_REPLAY: &str = "crates/sam-mnist/tests/fixtures/jax_seed0";

/// The label suffix of runs from [`Start::JaxSeed0`].
pub const JAX_START: &str = "JAX seed-0 start";

/// One run of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRun {
    /// Its start.
    pub start: Start,
    /// Its settings (epochs: at most the replay's 3 with [`Start::JaxSeed0`]).
    pub train: TrainConfig,
}

/// Settings of the drift study.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// The runs.
    pub runs: Vec<DriftRun>,
    /// Seeds of the one-ulp perturbations of the initial weights: one lockstep pair each.
    pub perturbation_seeds: Vec<u64>,
    /// A one-step growth of the distance by more than this factor is a jump.
    pub jump_factor: f64,
    /// A pair whose final distance exceeds its initial one by more than this factor drifts.
    pub drift_factor: f64,
}

impl Config {
    /// From JAX's seed-0 start and from samlab's: Adam at the review's learning rate, SGD at the
    /// review's and at a 10× larger one (which moves the network about as fast as Adam), SAM at
    /// the review's settings; 3 epochs (the JAX fixture's length), three perturbations each.
    pub fn full() -> Self {
        let mut runs = Vec::new();
        for start in [Start::JaxSeed0, Start::Own] {
            for (opt, lr) in [
                (Optimizer::Adam, 3e-4),
                (Optimizer::Sgd, 0.01),
                (Optimizer::Sgd, 0.1),
                (Optimizer::Sam { rho: 0.2 }, 0.01),
            ] {
                let train = TrainConfig {
                    lr,
                    epochs: 3,
                    ..TrainConfig::paper(opt, 0)
                };
                runs.push(DriftRun { start, train });
            }
        }
        Self {
            runs,
            perturbation_seeds: vec![1, 2, 3],
            jump_factor: 10.0,
            drift_factor: 100.0,
        }
    }

    /// Two pairs of one epoch for `--quick`.
    pub fn quick() -> Self {
        let mut c = Self::full();
        c.runs.truncate(1);
        c.runs[0].train.epochs = 1;
        c.perturbation_seeds.truncate(2);
        c
    }
}

/// What one lockstep pair (a run and its one-ulp-perturbed copy) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairRow {
    /// The run, e.g. `adam lr 0.0003`.
    pub run: String,
    /// The perturbation's seed.
    pub perturbation_seed: u64,
    /// Training steps.
    pub steps: usize,
    /// ‖θ − θ'‖ at step 0 (the perturbation).
    pub initial_distance: f64,
    /// Steps whose batch has at least one ReLU flip between the two runs.
    pub steps_with_flips: usize,
    /// The first such step (1-based; 0 = none).
    pub first_flip_step: usize,
    /// The distance before the first flipping step (the final distance if there is none).
    pub distance_before_first_flip: f64,
    /// The distance after it (the final distance if there is none).
    pub distance_after_first_flip: f64,
    /// The largest one-step growth factor of the distance at steps without a flip.
    pub max_growth_without_flip: f64,
    /// The largest one-step growth factor at steps with a flip (0 if there are none).
    pub max_growth_with_flip: f64,
    /// Steps where the distance grew by more than the jump factor.
    pub jumps: usize,
    /// How many of them had a flip.
    pub jumps_at_flips: usize,
    /// The distance at the end.
    pub final_distance: f64,
    /// |L_test(θ) − L_test(θ')| / L_test(θ) at the end.
    pub final_test_loss_rel_diff: f64,
}

/// The distance and flips of one step of one pair (for the figure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    /// The run.
    pub run: String,
    /// The perturbation's seed.
    pub perturbation_seed: u64,
    /// The step (0 = initial weights).
    pub step: usize,
    /// ‖θ − θ'‖ after the step.
    pub distance: f64,
    /// ReLU flips in the step's batch at the weights the step starts from (sample × hidden
    /// unit pairs; 0 at step 0; SAM's second gradient, at the perturbed weights, is not checked).
    pub flips: usize,
}

/// Test losses of a pair at the end of every epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochDiffRow {
    /// The run.
    pub run: String,
    /// The perturbation's seed.
    pub perturbation_seed: u64,
    /// The epoch.
    pub epoch: usize,
    /// Test loss of the run.
    pub test_loss: f64,
    /// Test loss of its perturbed copy.
    pub test_loss_perturbed: f64,
    /// Their relative difference.
    pub rel_diff: f64,
}

/// What the pairs show, computed here (the report only words it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// The kernel path the runs took (`avx512` or `portable`): the two round differently (the
    /// AVX-512 GEMMs use fused multiply-adds), so the rows are this machine kind's.
    pub kernel_path: String,
    /// The jump factor used.
    pub jump_factor: f64,
    /// The drift factor used.
    pub drift_factor: f64,
    /// Jumps over all pairs.
    pub jumps: usize,
    /// Jumps at steps with a flip.
    pub jumps_at_flips: usize,
    /// Every jump happened at a step with a ReLU flip.
    pub jumps_only_at_flips: bool,
    /// The largest one-step growth at a step without a flip, over all pairs.
    pub max_growth_without_flip: f64,
    /// The largest final/initial distance ratio of a pair that never flipped (1 if every pair
    /// flipped).
    pub max_ratio_without_flips: f64,
    /// The pairs that drifted (final distance > drift factor × initial), as `run / seed`.
    pub drifting: Vec<String>,
    /// Every drifting pair had a jump at a flip.
    pub drift_needs_flip: bool,
    /// Some Adam pair drifted.
    pub adam_drifts: bool,
    /// Some SGD pair drifted (the drift is not Adam's).
    pub sgd_drifts: bool,
    /// The largest final test-loss difference of a drifting Adam pair (0 if none).
    pub adam_max_test_rel_diff: f64,
    /// The first flip step of each Adam pair from JAX's start (the replay itself; 0 = none).
    pub replay_adam_first_flips: Vec<usize>,
    /// The drift is set off by ReLU flips, not by rounding alone: every jump is at a flip, every
    /// drifting pair jumped at one, and no pair without flips drifted.
    pub cause_is_relu_flips: bool,
}

/// Everything the study writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// One row per pair.
    pub pairs: Vec<PairRow>,
    /// Every step of every pair.
    pub trace: Vec<TraceRow>,
    /// Test losses per epoch.
    pub epochs: Vec<EpochDiffRow>,
    /// The verdicts.
    pub verdicts: Verdicts,
    /// Provenance.
    pub meta: sam_results::Meta,
}

/// The run's label in the results: optimizer, lr, ρ and start.
///
/// ```
/// use sam_experiments::mnist::drift::{label, DriftRun, Start};
/// use sam_mnist::train::{Optimizer, TrainConfig};
/// let r = DriftRun { start: Start::JaxSeed0, train: TrainConfig::paper(Optimizer::Sam { rho: 0.2 }, 0) };
/// assert_eq!(label(&r), "sam lr 0.01 rho 0.2, JAX seed-0 start");
/// ```
pub fn label(r: &DriftRun) -> String {
    let c = &r.train;
    let start = match r.start {
        Start::JaxSeed0 => JAX_START.to_string(),
        Start::Own => format!("samlab seed-{} start", c.seed),
    };
    match c.optimizer.rho() {
        Some(rho) => format!("{} lr {} rho {rho}, {start}", c.optimizer.name(), c.lr),
        None => format!("{} lr {}, {start}", c.optimizer.name(), c.lr),
    }
}

/// `params` with every nonzero weight moved one representable f32 up or down (signs drawn from
/// `seed`): the smallest change f32 can make.
///
/// ```
/// use sam_experiments::mnist::drift::ulp_perturbed;
/// use sam_mnist::model::Params;
/// let p = Params::from_flat(&[1, 2], vec![1.0, -2.0, 0.0, 0.5]).unwrap();
/// let q = ulp_perturbed(&p, 1);
/// for (a, b) in p.flat().iter().zip(q.flat()) {
///     assert!(a == b && *a == 0.0 || (a.to_bits() as i64 - b.to_bits() as i64).abs() == 1);
/// }
/// ```
pub fn ulp_perturbed(params: &Params, seed: u64) -> Params {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let flat: Vec<f32> = params
        .flat()
        .iter()
        .map(|&w| {
            let up = rng.random::<bool>();
            if w == 0.0 || !w.is_finite() {
                w
            } else if up == (w > 0.0) {
                f32::from_bits(w.to_bits() + 1) // away from zero
            } else {
                f32::from_bits(w.to_bits() - 1) // towards zero (w ≠ 0, so the bits are > 0)
            }
        })
        .collect();
    Params::from_flat(params.sizes(), flat).expect("same shape")
}

/// The ReLU pattern of the engine's forward pass on `rows` at the flat weights `p`.
fn pattern(p: &[f32], sets: &SampleSets, rows: &[usize]) -> Result<Vec<bool>> {
    Ok(relu_pattern(
        &Params::from_flat(&SIZES, p.to_vec())?,
        &sets.train,
        rows,
    ))
}

/// SAM's perturbed point w + ê, ê = ρ g/(‖g‖ + ε) with g the engine's gradient over `rows` at
/// `p` (formed explicitly: the training engine's low-rank step computes the same pass without
/// writing it, equal up to rounding, so a flip within rounding of a kink may be missed or extra).
fn climbed(p: &[f32], sets: &SampleSets, rows: &[usize], rho: f64, eps: f64) -> Result<Vec<f32>> {
    let params = Params::from_flat(&SIZES, p.to_vec())?;
    let (_, g) = batch_loss_grad(&params, &sets.train, rows);
    let n = sam_optim::float::sumsq(&g).sqrt();
    let s: f32 = sam_optim::perturb::normalized_scale(rho, n, eps);
    Ok(p.iter().zip(&g).map(|(w, gi)| w + s * gi).collect())
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Runs `run` from `init` and from its one-ulp perturbation by `perturbation_seed`, in lockstep
/// on two threads, with the batch order `orders`, and records distances and flips. The
/// unperturbed run's test losses per epoch are computed unless given in `base_losses` (they do
/// not depend on the perturbation).
pub fn lockstep(
    run: &DriftRun,
    sets: &SampleSets,
    start: (&Params, &[Vec<usize>]),
    perturbation_seed: u64,
    jump_factor: f64,
    base_losses: Option<&[f64]>,
) -> Result<(PairRow, Vec<TraceRow>, Vec<EpochDiffRow>)> {
    let cfg = &run.train;
    let checked = cfg.clone().check()?;
    let (base, orders) = (start.0.clone(), start.1);
    let other = ulp_perturbed(&base, perturbation_seed);
    let spe = cfg.train_size / cfg.batch_size;
    let steps = cfg.epochs * spe;
    let rows_of = |t: usize| {
        let (e, s) = ((t - 1) / spe, (t - 1) % spe);
        &orders[e][s * cfg.batch_size..(s + 1) * cfg.batch_size]
    };
    let run = label(run);
    let follow = |ra: Receiver<Vec<f32>>, rb: Receiver<Vec<f32>>| -> Result<_> {
        let mut trace = Vec::with_capacity(steps + 1);
        let mut epochs = Vec::new();
        let mut pending_flips = 0;
        for t in 0..=steps {
            let (Ok(a), Ok(b)) = (ra.recv(), rb.recv()) else {
                return Ok(None); // a run stopped: its error comes from its thread
            };
            trace.push(TraceRow {
                run: run.clone(),
                perturbation_seed,
                step: t,
                distance: distance(&a, &b),
                flips: pending_flips,
            });
            if t > 0 && t % spe == 0 {
                // both runs wait for the follower here: the evaluation uses both cores
                let e = t / spe;
                let la = match base_losses.and_then(|l| l.get(e - 1)) {
                    Some(&l) => l,
                    None => evaluate(&Params::from_flat(&SIZES, a.clone())?, &sets.test, 2).0,
                };
                let lb = evaluate(&Params::from_flat(&SIZES, b.clone())?, &sets.test, 2).0;
                epochs.push(EpochDiffRow {
                    run: run.clone(),
                    perturbation_seed,
                    epoch: e,
                    test_loss: la,
                    test_loss_perturbed: lb,
                    rel_diff: (la - lb).abs() / la.abs(),
                });
            }
            if t < steps {
                // the next step's batch, at the weights it starts from
                let rows = rows_of(t + 1);
                let (sa, sb) = (pattern(&a, sets, rows)?, pattern(&b, sets, rows)?);
                pending_flips = sa.iter().zip(&sb).filter(|(x, y)| x != y).count();
                // SAM's second gradient runs at w + ê: its flips count too
                if let Optimizer::Sam { rho } = cfg.optimizer {
                    let (pa, pb) = (
                        climbed(&a, sets, rows, rho, cfg.sam_eps)?,
                        climbed(&b, sets, rows, rho, cfg.sam_eps)?,
                    );
                    let (sa, sb) = (pattern(&pa, sets, rows)?, pattern(&pb, sets, rows)?);
                    pending_flips += sa.iter().zip(&sb).filter(|(x, y)| x != y).count();
                }
            }
        }
        Ok(Some((trace, epochs)))
    };
    let (followed, ra, rb) = std::thread::scope(|s| {
        let (ta, ra) = sync_channel::<Vec<f32>>(2);
        let (tb, rb) = sync_channel::<Vec<f32>>(2);
        let spawn = |init: Params, tx: std::sync::mpsc::SyncSender<Vec<f32>>| {
            let (c, o) = (&checked, orders);
            s.spawn(move || {
                // a closed receiver (the follower stopped on an error) only means nobody
                // listens; the run then ends after its remaining steps
                trajectory(c, sets, init, Some(o), |_, x| {
                    let _ = tx.send(x.to_vec());
                    Ok(())
                })
            })
        };
        let ha = spawn(base.clone(), ta);
        let hb = spawn(other.clone(), tb);
        let followed = follow(ra, rb);
        let joined = |h: std::thread::ScopedJoinHandle<'_, sam_mnist::Result<Params>>| {
            h.join()
                .map_err(|_| ExperimentError::Finding("a lockstep run panicked".into()))
        };
        (followed, joined(ha), joined(hb))
    });
    ra??;
    rb??;
    let (trace, epochs) = followed?
        .ok_or_else(|| ExperimentError::Finding(format!("{run}: a lockstep run stopped early")))?;
    let row = summarize(&run, perturbation_seed, &trace, &epochs, jump_factor)?;
    Ok((row, trace, epochs))
}

/// The pair's row from its trace.
fn summarize(
    run: &str,
    perturbation_seed: u64,
    trace: &[TraceRow],
    epochs: &[EpochDiffRow],
    jump_factor: f64,
) -> Result<PairRow> {
    let last = trace
        .last()
        .ok_or_else(|| ExperimentError::Finding(format!("{run}: empty trace")))?;
    let first_flip = trace
        .iter()
        .skip(1)
        .position(|r| r.flips > 0)
        .map(|i| i + 1);
    let (mut g_without, mut g_with, mut jumps, mut at_flips) = (0.0f64, 0.0f64, 0, 0);
    for w in trace.windows(2) {
        let g = if w[0].distance > 0.0 {
            w[1].distance / w[0].distance
        } else {
            1.0
        };
        if w[1].flips > 0 {
            g_with = g_with.max(g);
        } else {
            g_without = g_without.max(g);
        }
        if g > jump_factor {
            jumps += 1;
            at_flips += usize::from(w[1].flips > 0);
        }
    }
    let (before, after) = match first_flip {
        Some(t) => (trace[t - 1].distance, trace[t].distance),
        None => (last.distance, last.distance),
    };
    Ok(PairRow {
        run: run.into(),
        perturbation_seed,
        steps: last.step,
        initial_distance: trace[0].distance,
        steps_with_flips: trace.iter().filter(|r| r.flips > 0).count(),
        first_flip_step: first_flip.unwrap_or(0),
        distance_before_first_flip: before,
        distance_after_first_flip: after,
        max_growth_without_flip: g_without,
        max_growth_with_flip: g_with,
        jumps,
        jumps_at_flips: at_flips,
        final_distance: last.distance,
        final_test_loss_rel_diff: epochs.last().map_or(0.0, |e| e.rel_diff),
    })
}

impl Verdicts {
    /// The verdicts from the pairs.
    pub fn compute(pairs: &[PairRow], cfg: &Config) -> Self {
        let drifts = |p: &PairRow| p.final_distance > cfg.drift_factor * p.initial_distance;
        let drifting: Vec<&PairRow> = pairs.iter().filter(|p| drifts(p)).collect();
        let jumps = pairs.iter().map(|p| p.jumps).sum();
        let jumps_at_flips = pairs.iter().map(|p| p.jumps_at_flips).sum();
        let max_ratio_without_flips = pairs
            .iter()
            .filter(|p| p.steps_with_flips == 0)
            .map(|p| p.final_distance / p.initial_distance)
            .fold(1.0, f64::max);
        let drift_needs_flip = drifting.iter().all(|p| p.jumps_at_flips > 0);
        Verdicts {
            kernel_path: sam_mnist::kernels::isa().name().into(),
            jump_factor: cfg.jump_factor,
            drift_factor: cfg.drift_factor,
            jumps,
            jumps_at_flips,
            jumps_only_at_flips: jumps == jumps_at_flips,
            max_growth_without_flip: pairs
                .iter()
                .map(|p| p.max_growth_without_flip)
                .fold(0.0, f64::max),
            max_ratio_without_flips,
            drifting: drifting
                .iter()
                .map(|p| format!("{} / {}", p.run, p.perturbation_seed))
                .collect(),
            drift_needs_flip,
            adam_drifts: drifting.iter().any(|p| p.run.starts_with("adam ")),
            sgd_drifts: drifting.iter().any(|p| p.run.starts_with("sgd ")),
            adam_max_test_rel_diff: drifting
                .iter()
                .filter(|p| p.run.starts_with("adam "))
                .map(|p| p.final_test_loss_rel_diff)
                .fold(0.0, f64::max),
            replay_adam_first_flips: pairs
                .iter()
                .filter(|p| p.run.starts_with("adam ") && p.run.ends_with(JAX_START))
                .map(|p| p.first_flip_step)
                .collect(),
            cause_is_relu_flips: jumps == jumps_at_flips
                && drift_needs_flip
                && max_ratio_without_flips <= cfg.drift_factor,
        }
    }
}

/// Runs every pair (its two runs on two threads).
pub fn run(cfg: &Config, root: &Path, quick: bool, progress: crate::Progress) -> Result<Results> {
    let (data, source) = load(&LoadOptions::new(None, root.join("data/mnist")))?;
    eprintln!("mnist-drift: data from {source}");
    let (mut pairs, mut trace, mut epochs) = (Vec::new(), Vec::new(), Vec::new());
    progress(
        (cfg.runs.len() * cfg.perturbation_seeds.len()) as u64,
        "mnist-drift lockstep pairs",
    );
    for r in &cfg.runs {
        let c = &r.train;
        let sets = SampleSets::new(&data, c.train_size)?;
        let (init, orders) = match r.start {
            Start::JaxSeed0 => {
                let dir = root.join(JAX_REPLAY);
                let replay = load_replay(&dir, c.train_size)?;
                if replay.orders.len() < c.epochs {
                    return Err(ExperimentError::Config(format!(
                        "{}: the replay holds {} epochs of batch order, the run asks for {}: lower its epochs",
                        dir.display(),
                        replay.orders.len(),
                        c.epochs
                    )));
                }
                (replay.init, replay.orders)
            }
            Start::Own => (Params::init(&SIZES, c.seed), batch_orders(c)),
        };
        let mut base_losses: Option<Vec<f64>> = None;
        for &ps in &cfg.perturbation_seeds {
            let (row, t, e) = lockstep(
                r,
                &sets,
                (&init, &orders),
                ps,
                cfg.jump_factor,
                base_losses.as_deref(),
            )?;
            base_losses.get_or_insert_with(|| e.iter().map(|d| d.test_loss).collect());
            pairs.push(row);
            trace.extend(t);
            epochs.extend(e);
            progress(0, "");
        }
    }
    let verdicts = Verdicts::compute(&pairs, cfg);
    Ok(Results {
        pairs,
        trace,
        epochs,
        verdicts,
        meta: sam_results::Meta::new(NAME, cfg.runs.first().map(|r| r.train.seed), quick, cfg)?,
    })
}

crate::results_files!(
    pairs: csv "pairs.csv",
    trace: csv "trace.csv",
    epochs: csv "epochs.csv",
    verdicts: json "verdicts.json",
    meta: json "meta.json",
);

crate::study!(Config::quick(), Config::full(), |cfg, ctx| run(
    cfg,
    ctx.root,
    ctx.quick,
    ctx.progress
));

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(d: &[f64], flips: &[usize]) -> Vec<TraceRow> {
        d.iter()
            .zip(flips)
            .enumerate()
            .map(|(t, (&distance, &flips))| TraceRow {
                run: "x".into(),
                perturbation_seed: 1,
                step: t,
                distance,
                flips,
            })
            .collect()
    }

    /// The summary counts jumps, flips and growth factors as defined (hand-computed trace).
    #[test]
    fn summary_of_a_hand_made_trace() {
        let t = trace(&[1e-6, 2e-6, 2e-6, 1e-3, 2e-3], &[0, 0, 3, 1, 0]);
        let r = summarize("x", 1, &t, &[], 10.0).unwrap();
        assert_eq!(r.first_flip_step, 2);
        assert_eq!(r.steps_with_flips, 2);
        assert_eq!(
            (r.distance_before_first_flip, r.distance_after_first_flip),
            (2e-6, 2e-6)
        );
        assert_eq!(r.max_growth_without_flip, 2.0);
        assert!((r.max_growth_with_flip - 500.0).abs() < 1e-9);
        assert_eq!((r.jumps, r.jumps_at_flips), (1, 1));
        // the same growth without a flip is a jump that no flip explains
        let t = trace(&[1e-6, 1e-3], &[0, 0]);
        let r = summarize("x", 1, &t, &[], 10.0).unwrap();
        assert_eq!((r.jumps, r.jumps_at_flips, r.first_flip_step), (1, 0, 0));
    }

    fn pair(run: &str, flips: usize, jumps: usize, at: usize, d0: f64, d1: f64) -> PairRow {
        let t = trace(&[d0, d1], &[0, flips]);
        PairRow {
            jumps,
            jumps_at_flips: at,
            final_distance: d1,
            ..summarize(run, 1, &t, &[], 10.0).unwrap()
        }
    }

    /// A drift without a flip (or a jump no flip explains) makes the cause verdict false; with
    /// flips behind every jump and drift it is true.
    #[test]
    fn verdicts_single_out_flips_only_when_every_drift_has_one() {
        let cfg = Config::full();
        let ok = [
            pair("adam lr 0.0003, JAX seed-0 start", 3, 1, 1, 1e-6, 1e-3),
            pair("sgd lr 0.01, JAX seed-0 start", 0, 0, 0, 1e-6, 2e-6),
        ];
        let v = Verdicts::compute(&ok, &cfg);
        assert!(v.cause_is_relu_flips && v.adam_drifts && !v.sgd_drifts);
        assert_eq!(v.replay_adam_first_flips, vec![1]);
        let bad = [pair("sgd lr 0.1, JAX seed-0 start", 0, 1, 0, 1e-6, 1e-3)];
        let v = Verdicts::compute(&bad, &cfg);
        assert!(!v.cause_is_relu_flips && v.sgd_drifts && !v.jumps_only_at_flips);
    }
}
