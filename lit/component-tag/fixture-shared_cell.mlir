// component-tag on the shared_cell exporter fixture: every component of
// reference.json is found, shown by a weight-bearing op of each.
// RUN: %mcprune-opt --component-tag %fixtures/shared_cell.linalg.mlir | FileCheck %s --check-prefix=LINALG
// RUN: %mcprune-opt --component-tag %fixtures/shared_cell.tosa.mlir | FileCheck %s --check-prefix=TOSA

// LINALG-DAG: linalg.matmul {mcprune.component = "embed"}
// LINALG-DAG: linalg.matmul {mcprune.component = "cell"}
// LINALG-DAG: linalg.matmul {mcprune.component = "readout"}

// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "embed"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "cell"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "readout"}
