//! Many independent runs on a few threads, with training and evaluation scheduled apart.
//!
//! A protocol run is a training loop (inherently sequential) plus one evaluation per epoch on
//! all training and test images (independent of each other once the epoch's weights are known,
//! and more than half of the work). Running one whole run per thread leaves a core idle at the
//! end and whenever runs differ in length. Here each thread repeatedly takes, in this order:
//!
//! 1. a queued evaluation (a snapshot of some run's weights after some epoch);
//! 2. else the next training loop, longest first (by a rough cost estimate);
//! 3. else, if training is still going on elsewhere, it waits for new snapshots.
//!
//! A training loop queues a snapshot after every epoch and goes on. Evaluations are pure
//! functions of the snapshot and the data (fixed block order, one thread each), so every row is
//! bit-identical to a run evaluated inline, whatever the thread count or the interleaving; only
//! the timing columns (training seconds) differ. Snapshots wait in memory (2.2 MB each) until a
//! thread is free; with the priority above at most about two runs' worth are queued.

use crate::error::{MnistError, Result};
use crate::model::{Params, SIZES};
use crate::train::{
    check_run, measure, train_loop, Mark, Metrics, Optimizer, SampleSets, TrainConfig, TrainOutcome,
};
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Relative cost of one training step of batch 10 (measured on the 2-core AVX-512 machine:
/// SGD 0.34 ms, Adam 0.93 ms, SAM 1.25 ms); used only to start the longest runs first.
fn cost(c: &TrainConfig) -> f64 {
    let per_step = match c.optimizer {
        Optimizer::Sgd => 1.0,
        Optimizer::Adam => 2.8,
        _ => 3.7, // the SAM family
    };
    let steps = c.epochs * (c.train_size / c.batch_size.max(1));
    steps as f64 * per_step * c.batch_size as f64
}

/// The order in which training loops start: longest first (by [`cost`]), ties in input order.
fn start_order(configs: &[TrainConfig]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..configs.len()).collect();
    order.sort_by(|&a, &b| cost(&configs[b]).total_cmp(&cost(&configs[a])));
    order
}

/// One snapshot to evaluate.
struct EvalJob {
    run: usize,
    mark: Mark,
    params: Params,
}

/// What is known of one run so far.
#[derive(Default)]
struct RunState {
    /// Evaluated snapshots, by epoch.
    evals: Vec<Option<(Mark, Metrics)>>,
    /// Evaluations queued or running.
    outstanding: usize,
    /// The training loop's result, once it has ended.
    trained: Option<Result<Params>>,
}

struct Shared {
    runs: VecDeque<usize>,
    evals: VecDeque<EvalJob>,
    /// Training loops in progress.
    training: usize,
    state: Vec<RunState>,
    /// A worker panicked: the others stop taking work (the panic is re-raised at the join).
    poisoned: bool,
}

enum Work {
    Eval(EvalJob),
    Train(usize),
    Done,
}

struct Sched<'a> {
    shared: Mutex<Shared>,
    cv: Condvar,
    configs: &'a [TrainConfig],
    sets: &'a [&'a SampleSets],
    on_run: &'a (dyn Fn(usize) + Sync),
}

/// Decrements the count of training loops when one ends (also on a panic, so that the other
/// threads do not wait forever).
struct TrainingEnds<'s, 'a>(&'s Sched<'a>);

impl Drop for TrainingEnds<'_, '_> {
    fn drop(&mut self) {
        self.0.lock().training -= 1;
        self.0.cv.notify_all();
    }
}

/// Marks the schedule poisoned if its worker unwinds, so the other workers stop early.
struct PoisonOnPanic<'s, 'a>(&'s Sched<'a>);

impl Drop for PoisonOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().poisoned = true;
            self.0.cv.notify_all();
        }
    }
}

impl<'a> Sched<'a> {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self) -> Work {
        let mut g = self.lock();
        loop {
            if g.poisoned {
                return Work::Done;
            }
            if let Some(j) = g.evals.pop_front() {
                return Work::Eval(j);
            }
            if let Some(i) = g.runs.pop_front() {
                g.training += 1;
                return Work::Train(i);
            }
            if g.training == 0 {
                return Work::Done;
            }
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Records progress of run `i`; reports it complete when its training has ended and no
    /// evaluation of it is outstanding.
    fn settle(&self, i: usize, update: impl FnOnce(&mut RunState)) {
        let complete = {
            let mut g = self.lock();
            let st = &mut g.state[i];
            update(st);
            st.trained.is_some() && st.outstanding == 0
        };
        if complete {
            (self.on_run)(i);
        }
    }

    fn train(&self, i: usize) {
        let _ends = TrainingEnds(self);
        let cfg = &self.configs[i];
        let mut params = Params::init(&SIZES, cfg.seed);
        let sets = self.sets[i];
        let res = check_run(cfg, sets, &params, None).and_then(|()| {
            train_loop(cfg, sets, &mut params, None, |mark, p| {
                let job = EvalJob {
                    run: i,
                    mark,
                    params: p.clone(),
                };
                let mut g = self.lock();
                g.state[i].outstanding += 1;
                g.evals.push_back(job);
                drop(g);
                self.cv.notify_one();
                Ok(())
            })
        });
        self.settle(i, |st| st.trained = Some(res.map(|()| params)));
    }

    fn eval(&self, job: EvalJob) {
        let m = measure(&job.params, self.sets[job.run], 1);
        let e = job.mark.epoch;
        self.settle(job.run, |st| {
            if st.evals.len() <= e {
                st.evals.resize(e + 1, None);
            }
            st.evals[e] = Some((job.mark, m));
            st.outstanding -= 1;
        });
    }

    fn work(&self) {
        let _poison = PoisonOnPanic(self);
        loop {
            match self.next() {
                Work::Eval(j) => self.eval(j),
                Work::Train(i) => self.train(i),
                Work::Done => return,
            }
        }
    }
}

/// Assembles a run's outcome: rows in epoch order; the first error in the order a sequential
/// run would meet it (a non-finite evaluation at an epoch before the training loop's error).
fn assemble(cfg: &TrainConfig, st: RunState) -> Result<TrainOutcome> {
    let mut rows = Vec::with_capacity(st.evals.len());
    for slot in st.evals {
        let (mark, m) = slot.ok_or_else(|| {
            MnistError::Shape("internal: an epoch's evaluation is missing".to_string())
        })?;
        rows.push(mark.row(m, cfg)?);
    }
    let params = st.trained.ok_or_else(|| {
        MnistError::Shape("internal: a training loop did not report".to_string())
    })??;
    Ok(TrainOutcome {
        config: cfg.clone(),
        rows,
        params,
    })
}

/// Runs `configs[i]` on the sample sets `sets[i]` with `threads` worker threads (see the module
/// docs); results in input order.
pub(crate) fn run<'a>(
    configs: &'a [TrainConfig],
    sets: &'a [&'a SampleSets],
    threads: usize,
    on_run: &'a (dyn Fn(usize) + Sync),
) -> Vec<Result<TrainOutcome>> {
    let sched = Sched {
        shared: Mutex::new(Shared {
            runs: start_order(configs).into(),
            evals: VecDeque::new(),
            training: 0,
            state: (0..configs.len()).map(|_| RunState::default()).collect(),
            poisoned: false,
        }),
        cv: Condvar::new(),
        configs,
        sets,
        on_run,
    };
    std::thread::scope(|s| {
        // every thread, even for a single run: the others evaluate its snapshots meanwhile
        for _ in 0..threads.max(1) {
            s.spawn(|| sched.work());
        }
    });
    let shared = sched.shared.into_inner().unwrap_or_else(|e| e.into_inner());
    configs
        .iter()
        .zip(shared.state)
        .map(|(c, st)| assemble(c, st))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The protocol's 15 runs (listed SGD, Adam, SAM) start Adam first, then SAM, then SGD
    /// (training-only costs per run: Adam 15000 steps at 2.8, SAM 7500 at 3.7, SGD 15000 at 1),
    /// each optimizer's seeds in input order; a shorter run of the same optimizer starts later.
    #[test]
    fn longest_runs_start_first() {
        let mut cfgs = Vec::new();
        for make in [TrainConfig::sgd, TrainConfig::adam, TrainConfig::sam] {
            cfgs.extend((0..5).map(make));
        }
        let order = start_order(&cfgs);
        let expected: Vec<usize> = (5..10).chain(10..15).chain(0..5).collect();
        assert_eq!(order, expected);
        cfgs.push(TrainConfig {
            epochs: 200,
            ..TrainConfig::sgd(9)
        });
        cfgs.push(TrainConfig {
            epochs: 1,
            ..TrainConfig::adam(9)
        });
        let order = start_order(&cfgs);
        assert_eq!(order.first(), Some(&5));
        assert_eq!(
            order.last(),
            Some(&16),
            "the 1-epoch Adam run is the shortest"
        );
    }
}
