use sam_experiments::toy::{fig1, fig2};
fn main() {
    let t = std::time::Instant::now();
    let rows = fig1::run_grid(&fig1::Config::default(), &|| {}).unwrap();
    eprintln!("fig1 grid {:?}", t.elapsed());
    for s in fig1::summarize(&rows) {
        println!(
            "{:.1e} {:5} it{:7} gd f{:2} s{:2} o{:2} | sam f{:2} s{:2} r{:2} o{:2} claim {}",
            s.eta,
            s.rho,
            s.iterations,
            s.gd_flat,
            s.gd_sharp,
            s.gd_other,
            s.sam_flat,
            s.sam_sharp,
            s.sam_shifted_rho,
            s.sam_other,
            s.claim_holds
        );
    }
    println!("showcase {:?}", fig1::showcase(&rows));
    println!("peak {}", fig1::barrier_top());
    let cfg = fig2::Config::default();
    let t = std::time::Instant::now();
    let (s, hits) = fig2::search_paper_setting(&cfg, &|| {});
    eprintln!("fig2 grid {:?}", t.elapsed());
    println!("{s:?}");
    for h in hits.iter().take(20) {
        println!("{h:?}");
    }
    let rep = fig2::find_reproduction(&cfg).unwrap();
    println!("{rep:?}");
    for r in fig2::sensitivity(&cfg, &rep).iter().step_by(5) {
        println!(
            "{} {:.3e} {:.4} {:.4} {:.4}",
            r.sweep, r.rho, r.x0, r.lambda_gd, r.lambda_sam
        );
    }
}
