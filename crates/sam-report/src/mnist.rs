//! The generated sections of `03-mnist.md` (Figures 3–5: claims, summary, sweep, sharpness,
//! speed) and the `pacbayes-mnist` section of `04-pac-bayes.md`. The verdicts come from
//! [`sam_experiments::mnist::Verdicts`]; this module only words them.

use crate::{num, table, Section};
use sam_experiments::mnist::{drift, Results};
use sam_experiments::ExperimentError;
use sam_mnist::model::SIZES;

/// The report file.
pub const REPORT: &str = "03-mnist.md";

fn pm(m: f64, s: f64) -> String {
    format!("{} ± {}", num(m, 4), num(s, 2))
}

/// The `mnist-drift` section of `03-mnist.md` (issue 11, item 20): each lockstep pair's row and
/// the verdicts of [`sam_experiments::mnist::drift::Verdicts`].
pub fn drift_sections(r: &drift::Results) -> Vec<Section> {
    let v = &r.verdicts;
    let rows: Vec<Vec<String>> = r
        .pairs
        .iter()
        .map(|p| {
            let first = if p.first_flip_step == 0 {
                "none".to_string()
            } else {
                format!(
                    "step {}: {} → {}",
                    p.first_flip_step,
                    num(p.distance_before_first_flip, 2),
                    num(p.distance_after_first_flip, 2)
                )
            };
            vec![
                p.run.clone(),
                p.perturbation_seed.to_string(),
                num(p.initial_distance, 2),
                format!("{} of {}", p.steps_with_flips, p.steps),
                first,
                format!("{:.2}", p.max_growth_without_flip),
                format!("{} ({} at flips)", p.jumps, p.jumps_at_flips),
                num(p.final_distance, 2),
                num(p.final_test_loss_rel_diff, 2),
            ]
        })
        .collect();
    let t = table(
        &[
            "run",
            "perturbation seed",
            "‖θ − θ′‖ at start",
            "steps with a ReLU flip",
            "first flip: distance before → after",
            "largest one-step growth without a flip",
            "jumps (> 10×)",
            "‖θ − θ′‖ at the end",
            "test loss, relative difference at the end",
        ],
        &rows,
    );
    let yes = |b: bool, y: &str, n: &str| if b { y.to_string() } else { n.to_string() };
    let drifting = if v.drifting.is_empty() {
        "none".to_string()
    } else {
        v.drifting.join("; ")
    };
    let replay = {
        let flips: Vec<String> = v
            .replay_adam_first_flips
            .iter()
            .map(|&t| {
                if t == 0 {
                    "none".into()
                } else {
                    format!("step {t}")
                }
            })
            .collect();
        format!(
            "first flips of the replay's Adam run (JAX's start) in its {} copies: {}",
            flips.len(),
            flips.join(", ")
        )
    };
    // runs in table order, with how many of their copies met a flip
    let mut flipped: Vec<(String, usize, usize)> = Vec::new();
    for p in &r.pairs {
        let hit = usize::from(p.steps_with_flips > 0);
        match flipped.iter_mut().find(|f| f.0 == p.run) {
            Some(f) => {
                f.1 += hit;
                f.2 += 1;
            }
            None => flipped.push((p.run.clone(), hit, 1)),
        }
    }
    let flipped = flipped
        .iter()
        .map(|(run, k, n)| format!("{run}: {k} of {n}"))
        .collect::<Vec<_>>()
        .join("; ");
    let text = format!(
        "Measured with the {kp} kernels (the AVX-512 and the portable kernels round differently, \
         so on another machine kind the flips may come at other steps).\n\n{t}\n\n\
         - Copies with a flip: {flipped}.\n\
         - Jumps (distance × more than {jf} in one step): {j}, of which {jf_at} at a step whose \
         batch has a ReLU flip ({all}).\n\
         - Without a flip the distance never grew by more than ×{g:.2} in a step, and the pairs \
         that never flipped end within ×{r:.1} of their initial distance: rounding alone does \
         not amplify.\n\
         - Drifting pairs (end distance above ×{df} the initial one): {drifting}; {need}.\n\
         - Adam: {adam}; {replay} (100 steps per epoch). SGD: {sgd}.\n\
         - **Verdict:** {verdict}\n",
        kp = v.kernel_path,
        jf = v.jump_factor,
        j = v.jumps,
        jf_at = v.jumps_at_flips,
        all = yes(v.jumps_only_at_flips, "all of them", "not all of them"),
        g = v.max_growth_without_flip,
        r = v.max_ratio_without_flips,
        df = v.drift_factor,
        need = yes(v.drift_needs_flip, "every one of them after a jump at a flip", "not every one of them after a flip"),
        adam = yes(v.adam_drifts, &format!("drifts, to a relative test-loss difference of up to {} at the end", num(v.adam_max_test_rel_diff, 2)), "no pair drifts"),
        sgd = yes(v.sgd_drifts, "drifts too, so the drift is not Adam's", "no pair drifts"),
        verdict = yes(
            v.cause_is_relu_flips,
            "the drift is set off by ReLU flips (a hidden unit whose pre-activation for a sample of the batch is so close to 0 that a rounding-level difference puts it on the other side), not by rounding that Adam's normalisation magnifies; once the runs differ by more than rounding, further flips follow.",
            "the pairs do not single out ReLU flips as the cause (see the rows)."
        ),
    );
    vec![("mnist-drift", text)]
}

/// The generated sections of `03-mnist.md`.
pub fn sections(r: &Results) -> Result<Vec<Section>, ExperimentError> {
    let (summary, sweep, analysis, reference, v) =
        (&r.summary, &r.sweep, &r.analysis, &r.reference, &r.verdicts);
    let (sgd, adam, sam) = (
        r.summary_of("sgd")?,
        r.summary_of("adam")?,
        r.summary_of("sam")?,
    );
    let ratio = v.gap_ratio;
    let sensitivity = v.gap_ratio_sweep.as_ref().map(|s| {
        format!(
            "; seed 0 with SGD at its sweep lr of lowest validation loss ({}): {} / {} = {:.0}%",
            s.sgd_lr,
            num(s.sam_gap, 4),
            num(s.sgd_gap, 4),
            100.0 * s.ratio
        )
    });
    let claims = table(
        &["review's claim", "measured (mean ± std over seeds)", "verdict"],
        &[
            vec![
                "SAM's generalization gap is about 80% of SGD's".into(),
                format!("gap SAM {} / SGD {} = {:.0}% (best runs: {:.0}%){}", pm(sam.gap_mean, sam.gap_std), pm(sgd.gap_mean, sgd.gap_std), 100.0 * ratio, 100.0 * v.gap_ratio_best, sensitivity.as_deref().unwrap_or("")),
                v.gap_claim.clone(),
            ],
            vec![
                "SAM significantly outperforms SGD on test loss".into(),
                format!("test loss SAM {} vs SGD {}", pm(sam.test_loss_mean, sam.test_loss_std), pm(sgd.test_loss_mean, sgd.test_loss_std)),
                v.sam_beats_sgd_test_loss.clone(),
            ],
            vec![
                "Adam beats SAM (test loss; \"SAM has no advantages compared to ADAM\")".into(),
                format!("test loss Adam {} vs SAM {}; test accuracy Adam {} vs SAM {}", pm(adam.test_loss_mean, adam.test_loss_std), pm(sam.test_loss_mean, sam.test_loss_std), pm(adam.test_acc_mean, adam.test_acc_std), pm(sam.test_acc_mean, sam.test_acc_std)),
                format!(
                    "on test loss: {}; on accuracy: {}",
                    v.adam_beats_sam_test_loss, v.adam_beats_sam_test_acc
                ),
            ],
            vec![
                "Adam reaches a better training loss; SAM's is similar to SGD's".into(),
                format!("final train loss SGD {}, Adam {}, SAM {}", num(sgd.train_loss_mean, 3), num(adam.train_loss_mean, 3), num(sam.train_loss_mean, 3)),
                format!(
                    "{}; SAM similar to SGD (within ×2): {}",
                    if v.adam_lowest_train_loss { "Adam lowest: holds" } else { "Adam not lowest: does not hold" },
                    if v.sam_train_loss_similar_to_sgd { "holds".to_string() } else { format!("does not hold (SAM's is {} × SGD's)", num(v.train_loss_ratio, 3)) }
                ),
            ],
            vec![
                "SAM is slower in CPU time per epoch (two gradients per step)".into(),
                format!("CPU s per epoch: SAM {} vs SGD {} (×{:.2}); whole run (same 15000 gradient evaluations): SAM {} s vs SGD {} s", num(sam.cpu_s_per_epoch, 3), num(sgd.cpu_s_per_epoch, 3), v.cpu_per_epoch_ratio, num(sam.cpu_s_total, 3), num(sgd.cpu_s_total, 3)),
                if v.sam_slower_per_epoch { "holds".into() } else { "does not hold".into() },
            ],
        ],
    );
    let summary_md = table(
        &[
            "optimizer",
            "lr",
            "ρ",
            "best seed",
            "best: test loss / acc / gap",
            "test loss",
            "test accuracy",
            "gap",
            "JAX reference: test loss / acc / gap",
        ],
        &summary
            .iter()
            .map(|s| {
                let r = reference.iter().find(|r| r.optimizer == s.optimizer);
                vec![
                    s.optimizer.to_uppercase(),
                    format!("{}", s.lr),
                    if s.optimizer == "sam" {
                        format!("{}", s.rho)
                    } else {
                        "–".into()
                    },
                    s.best_seed.to_string(),
                    format!(
                        "{} / {} / {}",
                        num(s.best_test_loss, 4),
                        num(s.best_test_acc, 4),
                        num(s.best_gap, 4)
                    ),
                    pm(s.test_loss_mean, s.test_loss_std),
                    pm(s.test_acc_mean, s.test_acc_std),
                    pm(s.gap_mean, s.gap_std),
                    r.map_or("–".into(), |r| {
                        format!(
                            "{} / {} / {}",
                            pm(r.test_loss_mean, r.test_loss_std),
                            pm(r.test_acc_mean, r.test_acc_std),
                            pm(r.gap_mean, r.gap_std)
                        )
                    }),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let agreement = v
        .reference
        .iter()
        .map(|a| {
            format!(
                "- {}: mean test loss differs from JAX by {} ({:.1} combined seed standard deviations).",
                a.optimizer.to_uppercase(),
                num(a.difference, 3),
                a.z
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let sweep_md = table(
        &[
            "optimizer",
            "lr",
            "ρ",
            "epochs",
            "final train loss",
            "final test loss",
            "test accuracy",
            "gap",
        ],
        &sweep
            .iter()
            .map(|r| {
                vec![
                    r.optimizer.to_uppercase(),
                    format!("{}", r.lr),
                    if r.optimizer == "sam" {
                        format!("{}", r.rho)
                    } else {
                        "–".into()
                    },
                    r.epochs.to_string(),
                    num(r.row().train_loss, 4),
                    num(r.row().test_loss, 4),
                    num(r.row().test_acc, 4),
                    num(r.row().gap, 4),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let best_of = |o: &str| {
        v.sweep_best
            .iter()
            .find(|b| b.optimizer == o)
            .map(|b| {
                format!(
                    "{} (lr {}{}, validation loss {}, test loss {}; {})",
                    o.to_uppercase(),
                    b.lr,
                    if o == "sam" {
                        format!(", ρ {}", b.rho)
                    } else {
                        String::new()
                    },
                    b.val_loss.map_or("–".into(), |v| num(v, 4)),
                    num(b.test_loss, 4),
                    b.position
                )
            })
            .unwrap_or_default()
    };
    let sweep_md = format!(
        "{sweep_md}\nLowest final validation loss per optimizer in the sweep (the pick; test loss shown for it only): {}; {}; {}.\n",
        best_of("sgd"),
        best_of("adam"),
        best_of("sam")
    );
    let sharp_md = table(
        &[
            "optimizer (best seed)",
            "λ_max (Lanczos)",
            "trace (Hutchinson ± se)",
            "ρ",
            "κ_ρ lower bound",
            "‖θ‖",
            "‖θ − θ₀‖",
            "test loss",
            "gap",
        ],
        &analysis
            .iter()
            .map(|a| {
                let s = summary.iter().find(|s| s.optimizer == a.optimizer);
                vec![
                    format!("{} ({})", a.optimizer.to_uppercase(), a.seed),
                    num(a.lambda_max, 4),
                    format!("{} ± {}", num(a.trace, 4), num(a.trace_se, 2)),
                    format!("{}", a.rho),
                    num(a.kappa_lower, 4),
                    num(a.theta_norm, 4),
                    num(a.dist_from_init, 4),
                    num(a.test_loss, 4),
                    s.map_or("–".into(), |s| num(s.best_gap, 4)),
                ]
            })
            .collect::<Vec<_>>(),
    );
    Ok(vec![
        ("mnist-claims", claims),
        ("mnist-summary", format!("{summary_md}\n{agreement}\n")),
        ("mnist-sweep", sweep_md),
        ("mnist-sharpness", sharp_md),
        ("mnist-validation", validation_section(r)),
        ("mnist-gap-ratio", gap_ratio_section(r)),
        ("mnist-convergence", convergence_section(r)),
        ("mnist-kappa-check", kappa_check_section(r)),
    ])
}

/// Item 11: has the κ_ρ lower bound converged?
fn kappa_check_section(r: &Results) -> String {
    let v = &r.verdicts;
    let rows = table(
        &[
            "network (seed)",
            "ρ",
            "start",
            "step budget",
            "evaluations used",
            "κ_ρ lower bound",
        ],
        &r.kappa_checks
            .iter()
            .map(|k| {
                vec![
                    format!("{} ({})", k.optimizer.to_uppercase(), k.seed),
                    format!("{}", k.rho),
                    k.start.replace('_', " "),
                    k.steps.to_string(),
                    if k.evaluations == 0 {
                        "–".into()
                    } else {
                        k.evaluations.to_string()
                    },
                    num(k.kappa_lower, 7),
                ]
            })
            .collect::<Vec<_>>(),
    );
    format!(
        "{rows}\nThe longer and restarted ascents raise the analysis's bound by at most **{}** (relative); the ranking of the three networks by κ at every ρ is {}.\n",
        v.kappa_max_improvement.map_or("–".into(), |x| num(x, 2)),
        if v.kappa_ranking_unchanged { "**unchanged**" } else { "**changed**" }
    )
}

fn setting(optimizer: &str, lr: f64, rho: f64) -> String {
    if optimizer == "sam" {
        format!("lr {lr}, ρ {rho}")
    } else {
        format!("lr {lr}")
    }
}

/// Items 7 and 10: the picks on validation and the test numbers of the picked settings.
fn validation_section(r: &Results) -> String {
    let v = &r.verdicts;
    let picks = table(
        &[
            "picked by",
            "optimizer",
            "setting",
            "validation score at its stopping epoch",
            "stopping epoch",
        ],
        &r.picks
            .iter()
            .map(|p| {
                vec![
                    if p.criterion == "val_loss" {
                        "lowest validation loss".into()
                    } else {
                        "highest validation accuracy".to_string()
                    },
                    p.optimizer.to_uppercase(),
                    setting(&p.optimizer, p.lr, p.rho),
                    num(p.val_score, 4),
                    p.stop_epoch.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let protocol_name = |p: &str| -> String {
        match p {
            "reference" => "reference defaults".into(),
            "val_loss" => "picked on validation loss".into(),
            "val_acc" => "picked on validation accuracy".into(),
            other => other.into(),
        }
    };
    let runs = table(
        &[
            "protocol",
            "optimizer",
            "setting",
            "final test loss",
            "final test accuracy",
            "final gap",
            "test loss at the lowest validation loss",
            "test accuracy at the highest validation accuracy",
        ],
        &r.stopped_summary
            .iter()
            .map(|s| {
                vec![
                    protocol_name(&s.protocol),
                    s.optimizer.to_uppercase(),
                    setting(&s.optimizer, s.lr, s.rho),
                    pm(s.final_test_loss_mean, s.final_test_loss_std),
                    pm(s.final_test_acc_mean, s.final_test_acc_std),
                    pm(s.final_gap_mean, s.final_gap_std),
                    pm(s.loss_stop_test_loss_mean, s.loss_stop_test_loss_std),
                    pm(s.acc_stop_test_acc_mean, s.acc_stop_test_acc_std),
                ]
            })
            .collect::<Vec<_>>(),
    );
    format!(
        "Picks of the sweep (seed 0), each optimizer's setting with the best validation score at its own best epoch:\n\n{picks}\nEvery protocol, {} seeds each (mean ± std; early stopping: the epoch of the best validation score of that run):\n\n{runs}\nWith every optimizer picked on validation and early-stopped on it: Adam beats SAM on test accuracy (picked and stopped on validation accuracy): **{}**; on test loss (picked and stopped on validation loss): **{}**; SAM beats SGD on test loss (same): **{}**.\n",
        r.cfg.seeds.len(),
        v.adam_beats_sam_test_acc_val,
        v.adam_beats_sam_test_loss_val,
        v.sam_beats_sgd_test_loss_val,
    )
}

/// Item 8: the gap ratio over SGD's learning rates and at matched training loss.
fn gap_ratio_section(r: &Results) -> String {
    let rows = table(
        &[
            "SGD lr",
            "SGD gap",
            "SAM gap (reference setting)",
            "SAM / SGD",
        ],
        &r.gap_ratio_lr
            .iter()
            .map(|g| {
                vec![
                    format!("{}", g.sgd_lr),
                    num(g.sgd_gap, 4),
                    num(g.sam_gap, 4),
                    format!("{:.0}%", 100.0 * g.ratio),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let range = r.verdicts.gap_ratio_lr_range.map_or("–".into(), |(a, b)| {
        format!("{:.0}% to {:.0}%", 100.0 * a, 100.0 * b)
    });
    let matched = r.matched_gap.as_ref().map_or(
        "SGD's mean training loss never reaches SAM's final one: no matched epoch.".into(),
        |m| {
            format!(
                "At matched training loss (SGD at epoch {}, its first with mean training loss {} ≤ SAM's final {}), SAM's gap over SGD's, per seed: **{:.0}% ± {:.0}%** ({} seeds).",
                m.sgd_epoch,
                num(m.sgd_train_loss, 4),
                num(m.sam_train_loss, 4),
                100.0 * m.ratio_mean,
                100.0 * m.ratio_std,
                m.seeds
            )
        },
    );
    format!(
        "Over SGD's learning rates in the sweep (seed 0) the ratio runs from **{range}**:\n\n{rows}\n{matched}\n"
    )
}

/// Item 9: epochs to reach a training-loss level.
fn convergence_section(r: &Results) -> String {
    let v = &r.verdicts;
    let opt = |x: Option<f64>, d: usize| x.map_or("–".into(), |x| num(x, d));
    let rows = table(
        &[
            "optimizer",
            "training-loss level",
            "seeds reaching it",
            "epochs (mean ± std)",
            "gradient evaluations (mean)",
        ],
        &r.convergence
            .iter()
            .map(|c| {
                vec![
                    c.optimizer.to_uppercase(),
                    format!("{}", c.level),
                    format!("{} of {}", c.reached, c.seeds),
                    match (c.epochs_mean, c.epochs_std) {
                        (Some(m), Some(s)) => format!("{} ± {}", num(m, 3), num(s, 2)),
                        _ => "–".into(),
                    },
                    opt(c.grad_evals_mean, 4),
                ]
            })
            .collect::<Vec<_>>(),
    );
    format!(
        "Convergence measured as the first epoch at which a run's training loss is at or below a level (reference protocol):\n\n{rows}\n\"SAM and SGD use similar epochs to converge\" (similar: within a factor 3/2 at the level 0.1): **{}**. \"ADAM converges much faster\" (at most half the epochs of the faster of the two): **{}**.\n",
        v.similar_epochs, v.adam_much_faster
    )
}

/// The `pacbayes-mnist` section of `04-pac-bayes.md`, from `results/mnist/`.
pub fn pacbayes_sections(r: &Results) -> Result<Vec<Section>, ExperimentError> {
    let (analysis, certs, cfg) = (&r.analysis, &r.certificates, &r.cfg);
    let thm = table(
        &[
            "network",
            "ρ",
            "train 0-1 error",
            "max over ρ-ball (lower bound)",
            "Theorem 1 complexity",
            "Theorem 1 RHS (≥)",
            "n for < 1",
            "n for < 0.1",
            "test 0-1 error",
        ],
        &analysis
            .iter()
            .map(|a| {
                vec![
                    format!("{} (seed {})", a.optimizer.to_uppercase(), a.seed),
                    format!("{}", a.rho),
                    num(a.train_err, 3),
                    num(a.perturbed_err_lower, 3),
                    num(a.theorem1_complexity, 4),
                    num(a.theorem1_rhs_lower, 4),
                    a.n_for_complexity_1.to_string(),
                    a.n_for_complexity_01.to_string(),
                    num(a.test_err, 4),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let best: Vec<Vec<String>> = certs
        .iter()
        .filter(|c| c.best)
        .map(|c| {
            let test = analysis
                .iter()
                .find(|a| a.optimizer == c.optimizer)
                .map_or(f64::NAN, |a| a.test_err);
            vec![
                c.optimizer.to_uppercase(),
                num(c.sigma, 3),
                num(c.stochastic_train_err, 4),
                num(c.stochastic_train_err_upper, 4),
                num(c.sigma_prior, 3),
                num(c.kl, 4),
                format!("**{}**", num(c.bound, 6)),
                num(c.stochastic_test_err, 4),
                num(test, 4),
                if r.verdicts
                    .certificates
                    .iter()
                    .any(|v| v.optimizer == c.optimizer && v.non_vacuous)
                {
                    "non-vacuous (below chance, 0.9)".into()
                } else {
                    "vacuous (≥ 0.9, the error of guessing)".into()
                },
            ]
        })
        .collect();
    let certs_md = format!(
        "Theorem 1 at the trained networks (d = {}, n = {}, δ = {}; the maximum of the 0-1 loss over the ρ-ball is bounded from below by projected ascent on the cross-entropy, so the RHS shown is itself a lower bound on Theorem 1's value):\n\n{thm}\nThe tightest certificate found (among equal bounds, the one with the smallest KL; PAC-Bayes-kl; Q = N(θ, σ²I) with σ searched over {} values, P = N(θ₀, σ_P²I) at the initialisation with a union bound over {} values of σ_P; the stochastic training error is estimated from {} posterior samples and bounded by kl-inverse at confidence δ'/{} with δ' = {}; the certificate holds with probability ≥ 1 − δ − δ'):\n\n{}",
        sam_mnist::model::n_params(&SIZES),
        cfg.protocol.first().map_or(0, |c| c.train_size),
        cfg.delta,
        cfg.sigmas.len(),
        cfg.sigma_priors.len(),
        cfg.mc_samples,
        cfg.sigmas.len(),
        cfg.delta_mc,
        table(
            &["network", "σ", "stochastic train error (MC)", "its upper bound", "σ_P", "KL(Q‖P)", "certificate on true error", "stochastic test error (MC)", "test error of θ", "verdict"],
            &best
        )
    );
    let need = r.posterior_scale_needed()?;
    let sigma_md = format!(
        "With the prior at the initialisation and σ_P = σ, KL(Q‖P) = ‖θ − θ₀‖²/(2σ²). A certificate below the error of guessing must keep the KL of the order of n (the budget used here is KL ≤ n = {}), which needs a **per-coordinate** posterior scale σ ≥ ‖θ − θ₀‖/√(2n): the whole distance travelled divided by √(2n), i.e. √d/√(2n) times the per-coordinate displacement ‖θ − θ₀‖/√d, not comparable to it.\n\n{}",
        need.first().map_or(0.0, |p| p.kl_budget),
        table(
            &["network", "‖θ − θ₀‖", "per-coordinate displacement ‖θ − θ₀‖/√d", "σ needed for KL ≤ n", "σ needed / per-coordinate displacement", "largest σ tried", "stochastic train error there"],
            &need
                .iter()
                .map(|p| {
                    vec![
                        p.optimizer.to_uppercase(),
                        num(p.distance, 4),
                        num(p.per_coordinate_displacement, 3),
                        num(p.sigma_needed, 3),
                        num(p.sigma_needed / p.per_coordinate_displacement, 3),
                        num(p.largest_sigma_tried.0, 3),
                        num(p.largest_sigma_tried.1, 3),
                    ]
                })
                .collect::<Vec<_>>()
        )
    );
    Ok(vec![
        ("pacbayes-mnist", certs_md),
        ("pacbayes-sigma", sigma_md),
    ])
}

/// The `mnist-speed` section, from `results/mnist/bench.json` written by
/// `scripts/bench-mnist-vs-jax.sh` (`mnist-bench --protocol`, which times the JAX reference in
/// the same session; a timing on a quiet machine, not part of `figures`); `None` when there is no
/// measurement yet. Every ratio and target verdict comes from the bench itself.
pub fn speed_section(bench: Option<&serde_json::Value>) -> Vec<Section> {
    let Some(b) = bench else {
        return vec![(
            "mnist-speed",
            "_No measurement yet: run `scripts/bench-mnist-vs-jax.sh` on a quiet machine._".into(),
        )];
    };
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let opt = |v: &serde_json::Value, digits: usize| match v.as_f64() {
        Some(x) => num(x, digits),
        None => "not timed".into(),
    };
    let threads = b["peak_threads"].as_u64().unwrap_or(2);
    let steps = table(
        &[
            "step (batch 10, training only)",
            "samlab median (µs)",
            "JAX median, same session (µs)",
            "JAX / samlab",
            "samlab / SGD step",
        ],
        &[
            ("SGD", "sgd_step"),
            ("SAM (low-rank step)", "sam_step"),
            ("SAM m = 1 (low-rank step)", "sam_m1_step"),
            ("SAM (two-phase reference)", "sam_reference_step"),
            ("SAM m = 1 (two-phase reference)", "sam_m1_reference_step"),
            ("Adam", "adam_step"),
        ]
        .iter()
        .map(|(label, k)| {
            let st = &b["steps"][*k];
            vec![
                label.to_string(),
                num(f(&st["median_us"]), 3),
                opt(&st["jax_median_us"], 3),
                opt(&st["speedup_vs_jax"], 3),
                num(
                    f(&st["median_us"]) / f(&b["steps"]["sgd_step"]["median_us"]),
                    3,
                ),
            ]
        })
        .collect::<Vec<_>>(),
    );
    let targets = table(
        &["target (issue 13)", "measured", "met"],
        &b["targets"]
            .as_object()
            .map(|t| {
                t.iter()
                    .map(|(k, v)| {
                        vec![
                            format!("`{k}`"),
                            num(f(&v["value"]), 3),
                            if v["met"].as_bool() == Some(true) {
                                "yes"
                            } else {
                                "**no**"
                            }
                            .into(),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let e = &b["eval_pass"][format!("threads_{threads}")];
    let protocol = &b["protocol"];
    let run = &b["sgd_full_run"];
    let jax_env = &b["jax"]["env"];
    let text = format!(
        "Measured by `scripts/bench-mnist-vs-jax.sh` (`mnist-bench --protocol`; kernels: {}; load average {} at the start, {} at the end). \
JAX reference: {}{}. This machine's yardsticks, measured by the same bench: an FMA-throughput kernel reaches **{} GFLOP/s** on {threads} \
threads ({} on one), the project's GEMM on the evaluation's main shape (192 × 500 · 500 × 300) **{} GFLOP/s** ({} on one).\n\n\
The whole 15-run reproduction (5 seeds × SGD, Adam, SAM, per-epoch evaluations included) takes **{} s** in samlab on {threads} threads, \
against {} s for the reference run sequentially (5 × its three complete runs timed in this session): ×{}. One complete 150-epoch SGD run \
with its 151 evaluations, data load included, takes {} s against the reference's in-loop {} s (compile and data load excluded): ×{}.\n\n\
One evaluation pass (1000 training + 10000 test images) takes {} ms on {threads} threads (JAX: {} ms). samlab skips the exactly-zero pixels \
({} of them), so the pass needs {} GFLOP ({} GFLOP as a dense computation); on those it runs at {} GFLOP/s: {} of the FMA peak and {} of the GEMM rate.\n\n\
Start-up: reading the four files through the verified cache takes {} ms and building the sample sets {} ms (the first load, verifying and caching, took {} ms with the sets).\n\n\
Per training step (median over blocks of 100 steps; the reference's steps are its jitted `step`, timed in blocks too):\n\n{steps}\n\
The targets, judged by the bench from these numbers:\n\n{targets}",
        b["kernel_path"].as_str().unwrap_or("?"),
        b["loadavg_start"].as_str().unwrap_or("?"),
        b["loadavg_end"].as_str().unwrap_or("?"),
        b["jax"]["status"].as_str().unwrap_or("?"),
        match jax_env["jax"].as_str() {
            Some(v) => format!(" (jax {v}, {} CPUs)", jax_env["cpu_affinity"]),
            None => String::new(),
        },
        num(f(&b["peak_gflops_measured"]), 3),
        num(f(&b["peak_gflops_measured_1_thread"]), 3),
        num(f(&b["gemm_gflops_eval_shape"]), 3),
        num(f(&b["gemm_gflops_eval_shape_1_thread"]), 3),
        opt(&protocol["wall_s"], 3),
        opt(&protocol["jax_sequential_s"], 3),
        opt(&protocol["speedup_vs_jax"], 3),
        opt(&run["wall_s_with_data_load"], 3),
        opt(&run["jax_in_loop_s"], 3),
        opt(&run["speedup_vs_jax"], 3),
        num(f(&e["median_ms"]), 3),
        opt(&e["jax_median_ms"], 3),
        num(f(&b["zero_pixel_fraction"]), 3),
        num(f(&e["gflop_done"]), 3),
        num(f(&b["eval_dense_equivalent_gflop"]), 3),
        num(f(&e["gflops_done"]), 3),
        num(f(&e["fraction_of_measured_peak"]), 2),
        num(f(&e["fraction_of_gemm_rate"]), 2),
        opt(&b["startup"]["cached_load_s"].as_f64().map(|v| v * 1e3).into(), 3),
        opt(&b["startup"]["sample_sets_s"].as_f64().map(|v| v * 1e3).into(), 3),
        opt(&b["startup"]["first_load_and_sets_s"].as_f64().map(|v| v * 1e3).into(), 3),
    );
    vec![("mnist-speed", text)]
}
