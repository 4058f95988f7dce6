//! Optimizers as data: which member of the family, with which hyperparameters, built once into
//! the one stack. Result files record the [`Method`]; experiments and the command line build
//! from it.

use crate::perturb::{Asam, SamRule, Usam};
use crate::{Adam, Float, Gd, OptimError, Optimizer, Plain, Result, Sam, Schedule};
use serde::{Deserialize, Serialize};

/// Which optimizer (and its radius for the SAM family).
///
/// ```
/// use sam_optim::Method;
/// assert_eq!(Method::Sam { rho: 0.2 }.name(), "sam");
/// assert_eq!(Method::parse("asam", Some(0.5)).unwrap(), Method::Asam { rho: 0.5, eta: 0.01 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// Plain (S)GD: `w ← w − lr g`.
    Sgd,
    /// Adam (PyTorch form, bias-corrected).
    Adam,
    /// SAM (Eq. 3): ê = ρ g/(‖g‖ + ε).
    Sam {
        /// Radius of the perturbation.
        rho: f64,
    },
    /// Unnormalised SAM: ê = ρ g.
    Usam {
        /// Scale of the perturbation.
        rho: f64,
    },
    /// ASAM: ê = ρ T²g/‖T g‖, T = diag(|w| + η).
    Asam {
        /// Radius of the perturbation (in the adaptive metric).
        rho: f64,
        /// The offset η of T.
        eta: f64,
    },
}

/// Names accepted by [`Method::parse`], for help texts and errors.
pub const METHOD_NAMES: &str = "sgd, adam, sam, usam, asam";

impl Method {
    /// Short name: `sgd`, `adam`, `sam`, `usam`, `asam`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Sgd => "sgd",
            Method::Adam => "adam",
            Method::Sam { .. } => "sam",
            Method::Usam { .. } => "usam",
            Method::Asam { .. } => "asam",
        }
    }
    /// The radius of a SAM-family member, `None` for SGD and Adam.
    pub fn rho(&self) -> Option<f64> {
        match *self {
            Method::Sgd | Method::Adam => None,
            Method::Sam { rho } | Method::Usam { rho } | Method::Asam { rho, .. } => Some(rho),
        }
    }
    /// Whether this is a member of the SAM family (climbs before stepping).
    pub fn is_sam_family(&self) -> bool {
        self.rho().is_some()
    }
    /// The method named `name` with radius `rho` (required for, and only for, the SAM family;
    /// ASAM takes its default η = 0.01).
    pub fn parse(name: &str, rho: Option<f64>) -> Result<Self> {
        let need = |rho: Option<f64>| {
            rho.ok_or_else(|| OptimError::Config(format!("--optimizer {name} needs --rho")))
        };
        let m = match name {
            "sgd" | "gd" => Method::Sgd,
            "adam" => Method::Adam,
            "sam" => Method::Sam { rho: need(rho)? },
            "usam" => Method::Usam { rho: need(rho)? },
            "asam" => Method::Asam {
                rho: need(rho)?,
                eta: crate::perturb::ASAM_ETA,
            },
            other => {
                return Err(OptimError::Config(format!(
                    "unknown optimizer '{other}': use one of {METHOD_NAMES}"
                )))
            }
        };
        if rho.is_some() && !m.is_sam_family() {
            return Err(OptimError::Config(format!(
                "--rho applies to the SAM family only, not to --optimizer {name}"
            )));
        }
        Ok(m)
    }
}

/// Everything besides the method that building an optimizer needs.
#[derive(Clone, Debug)]
pub struct Hyper {
    /// Learning-rate (η) schedule of the base optimizer.
    pub lr: Schedule,
    /// Adam's (β₁, β₂, ε).
    pub adam: (f64, f64, f64),
    /// ε of the normalised SAM rules (0: Eq. 3; 1e-12: the MNIST reference).
    pub sam_eps: f64,
    /// m-sharpness: samples per perturbation (`None`: one per batch).
    pub m: Option<usize>,
}

impl Hyper {
    /// Constant learning rate `lr`, Adam's defaults, ε = 0, no m-sharpness.
    pub fn lr(lr: f64) -> Result<Self> {
        Ok(Hyper {
            lr: Schedule::constant(lr)?,
            adam: crate::base::ADAM_DEFAULTS,
            sam_eps: 0.0,
            m: None,
        })
    }
}

/// Builds `method` in the one stack for the number type `T`, with radius schedule `rho` for the
/// SAM family (`None`: the method's constant ρ). The SAM family runs over SGD.
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{build, run, ExactGradient, Hyper, Method, RunConfig};
/// let opt = build::<f64>(Method::Asam { rho: 0.05, eta: 0.01 }, &Hyper::lr(0.1).unwrap(), None).unwrap();
/// let out = run(opt, &[2.0, 1.0], &mut ExactGradient(&Fig2), &RunConfig::steps(10), &mut []).unwrap();
/// assert_eq!(out.grad_evals, 20);
/// ```
pub fn build<T: Float>(
    method: Method,
    h: &Hyper,
    rho: Option<Schedule>,
) -> Result<Box<dyn Optimizer<T> + Send>> {
    let radius = |r: f64| -> Result<Schedule> {
        match &rho {
            Some(s) => Ok(s.clone()),
            None => Schedule::constant(r).map_err(|_| {
                OptimError::from(sam_params::Invalid::new(
                    "rho",
                    sam_params::show(r),
                    "it must be finite and >= 0, e.g. 0.05",
                ))
            }),
        }
    };
    let sgd = || Gd::new(h.lr.clone());
    if h.m == Some(0) {
        return Err(OptimError::from(sam_params::Invalid::new(
            "m_sharpness",
            0,
            "it must be >= 1 (samples per perturbation)",
        )));
    }
    if h.m.is_some() && !method.is_sam_family() {
        return Err(OptimError::Config(format!(
            "m-sharpness applies to the SAM family only, not to {}",
            method.name()
        )));
    }
    Ok(match method {
        Method::Sgd => Box::new(Plain::<_, T>::new(sgd())),
        Method::Adam => {
            let (b1, b2, eps) = h.adam;
            Box::new(Plain::<_, T>::new(Adam::<T>::new(
                h.lr.clone(),
                b1,
                b2,
                eps,
            )?))
        }
        Method::Sam { rho: r } => with_chunks(
            Sam::with_rule(sgd(), SamRule::new(h.sam_eps)?, radius(r)?),
            h.m,
        )?,
        Method::Usam { rho: r } => with_chunks(Sam::with_rule(sgd(), Usam, radius(r)?), h.m)?,
        Method::Asam { rho: r, eta } => with_chunks(
            Sam::with_rule(sgd(), Asam::<T>::new(eta, h.sam_eps)?, radius(r)?),
            h.m,
        )?,
    })
}

fn with_chunks<T: Float, P: crate::perturb::PerturbationRule<T> + Send + 'static>(
    s: Sam<Gd, P, T>,
    m: Option<usize>,
) -> Result<Box<dyn Optimizer<T> + Send>> {
    Ok(match m {
        Some(m) => Box::new(s.with_m(m)?),
        None => Box::new(s),
    })
}
