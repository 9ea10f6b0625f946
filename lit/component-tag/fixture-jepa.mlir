// component-tag on the jepa exporter fixture: every component of
// reference.json is found, shown by a weight-bearing op of each.
// RUN: %mcprune-opt --component-tag %fixtures/jepa.linalg.mlir | FileCheck %s --check-prefix=LINALG
// RUN: %mcprune-opt --component-tag %fixtures/jepa.tosa.mlir | FileCheck %s --check-prefix=TOSA

// LINALG-DAG: linalg.matmul {mcprune.component = "context_encoder"}
// LINALG-DAG: linalg.matmul {mcprune.component = "predictor"}
// LINALG-DAG: linalg.matmul {mcprune.component = "target_encoder"}

// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "context_encoder"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "predictor"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "target_encoder"}
