// component-tag on the tdmpc_small exporter fixture: every component of
// reference.json is found, shown by a weight-bearing op of each.
// RUN: %mcprune-opt --component-tag %fixtures/tdmpc_small.linalg.mlir | FileCheck %s --check-prefix=LINALG
// RUN: %mcprune-opt --component-tag %fixtures/tdmpc_small.tosa.mlir | FileCheck %s --check-prefix=TOSA

// LINALG-DAG: linalg.matmul {mcprune.component = "encoder"}
// LINALG-DAG: linalg.matmul {mcprune.component = "dynamics"}
// LINALG-DAG: linalg.matmul {mcprune.component = "reward"}
// LINALG-DAG: linalg.matmul {mcprune.component = "pi"}

// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "encoder"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "dynamics"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "reward"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "pi"}
