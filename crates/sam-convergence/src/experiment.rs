//! Tidy rows for the report's floor figure: floors against ρ for constant-ρ normalized SAM,
//! decaying-ρ normalized SAM and constant-ρ unnormalized SAM, each beside its closed form.
//! (The Theorem 2 figure's rows are [`crate::Theorem2Row`], from [`crate::theorem2_report`].)
//!
//! ## Defaults
//!
//! | Name | Default | Range |
//! |---|---|---|
//! | `lambda` | 1.0 | ≥ 0 |
//! | `eta` | 0.5 | ≥ 0; closed forms need 0 < ηλ < 2 |
//! | `rhos` | 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9 (not 1: with ηλ = ½, ρ = 1 the orbit lands exactly on 0, the measure-zero exception) | each ≥ 0 |
//! | `steps` | 10 000 | ≥ 1 |

use crate::error::{invalid, Result};
use crate::floor::{
    decaying_floor_approx, floor_closed_form, quadratic_floor_with, unnormalized_floor_closed_form,
    QuadraticFloorConfig, SamVariant,
};
use serde::{Deserialize, Serialize};

/// Settings of the floor sweep.
///
/// ```
/// use sam_convergence::FloorSweepConfig;
/// assert_eq!(FloorSweepConfig::default().steps, 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorSweepConfig {
    /// Curvature λ of f(w) = λw²/2.
    pub lambda: f64,
    /// Constant step size η.
    pub eta: f64,
    /// The radii ρ (ρ₀ for the decaying schedule).
    pub rhos: Vec<f64>,
    /// Steps N per run.
    pub steps: usize,
}

impl Default for FloorSweepConfig {
    fn default() -> Self {
        Self {
            lambda: 1.0,
            eta: 0.5,
            rhos: vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9],
            steps: 10_000,
        }
    }
}

/// Which run a floor row describes.
///
/// ```
/// use sam_convergence::FloorKind;
/// assert_eq!(serde_json::to_string(&FloorKind::Decaying).unwrap(), "\"decaying\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorKind {
    /// Normalized SAM, constant ρ; closed form = the exact limit w* = ηλρ/(2 − ηλ).
    Constant,
    /// Normalized SAM, ρ/√(t+1); closed form = the adiabatic approximation (not exact).
    Decaying,
    /// Unnormalized SAM, constant ρ; closed form = the exact finite-N value |q|^t.
    Unnormalized,
}

/// One tidy row: the floor of one run and its closed form (if any) beside it.
///
/// ```
/// use sam_convergence::{floor_sweep, FloorSweepConfig};
/// let rows = floor_sweep(&FloorSweepConfig { rhos: vec![0.1], ..Default::default() }).unwrap();
/// assert_eq!(rows.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorRow {
    /// ρ (or ρ₀).
    pub rho: f64,
    /// The run.
    pub kind: FloorKind,
    /// Simulated max |w| over the last ⌈N/10⌉ iterates.
    pub floor: f64,
    /// The closed form for this kind (see [`FloorKind`]); `None` outside its regime.
    pub closed_form: Option<f64>,
    /// λ.
    pub lambda: f64,
    /// η.
    pub eta: f64,
    /// N.
    pub steps: usize,
}

/// Runs the three kinds for every ρ; rows ordered by ρ then kind.
///
/// ```
/// use sam_convergence::{floor_sweep, FloorKind, FloorSweepConfig};
/// let rows = floor_sweep(&FloorSweepConfig::default()).unwrap();
/// for r in rows.iter().filter(|r| r.kind == FloorKind::Constant) {
///     assert!((r.floor - r.closed_form.unwrap()).abs() < 1e-12);
/// }
/// ```
pub fn floor_sweep(cfg: &FloorSweepConfig) -> Result<Vec<FloorRow>> {
    if cfg.rhos.is_empty() {
        return Err(invalid("rhos", "[]", "give at least one radius, e.g. 0.05"));
    }
    let mut rows = Vec::with_capacity(3 * cfg.rhos.len());
    for &rho in &cfg.rhos {
        for kind in [
            FloorKind::Constant,
            FloorKind::Decaying,
            FloorKind::Unnormalized,
        ] {
            let (decay, variant, closed_form) = match kind {
                FloorKind::Constant => (
                    false,
                    SamVariant::Normalized,
                    floor_closed_form(cfg.lambda, cfg.eta, rho),
                ),
                FloorKind::Decaying => (
                    true,
                    SamVariant::Normalized,
                    decaying_floor_approx(cfg.lambda, cfg.eta, rho, cfg.steps),
                ),
                FloorKind::Unnormalized => (
                    false,
                    SamVariant::Unnormalized,
                    unnormalized_floor_closed_form(cfg.lambda, cfg.eta, rho, cfg.steps),
                ),
            };
            let floor = quadratic_floor_with(&QuadraticFloorConfig {
                lambda: cfg.lambda,
                eta: cfg.eta,
                rho,
                steps: cfg.steps,
                decay,
                variant,
            })?;
            rows.push(FloorRow {
                rho,
                kind,
                floor,
                closed_form,
                lambda: cfg.lambda,
                eta: cfg.eta,
                steps: cfg.steps,
            });
        }
    }
    Ok(rows)
}
