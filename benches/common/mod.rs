//! Shared by the benches: the Markdown table of pruned-model figures.

/// The ratios every table has a row for.
pub const RATIOS: [f64; 4] = [0.2, 0.4, 0.6, 0.8];

/// Prints `title` and a Markdown table with one row per ratio of
/// [`RATIOS`] (or of the environment's `RATIOS`, comma-separated, e.g.
/// `RATIOS=0.3,0.5,0.7`) and one column per setting; `cell` gets the pass
/// options (`ratio=R` and the setting's options) and returns the cell's text.
pub fn ratio_table(title: &str, settings: &[(&str, String)], cell: &dyn Fn(&str) -> String) {
    println!("{title}\n");
    print!("| params removed |");
    settings.iter().for_each(|(n, _)| print!(" {n} |"));
    println!();
    print!("| --- |");
    settings.iter().for_each(|_| print!(" --- |"));
    println!();
    let ratios: Vec<f64> =
        std::env::var("RATIOS").map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect()).unwrap_or(RATIOS.to_vec());
    for ratio in ratios {
        print!("| {:.0}% |", ratio * 100.0);
        for (_, opts) in settings {
            print!(" {} |", cell(&format!("ratio={ratio} {opts}")));
        }
        println!();
    }
    println!();
}
