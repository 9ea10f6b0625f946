// component-tag on the concat_heads exporter fixture: every component of
// reference.json is found, shown by a weight-bearing op of each.
// RUN: %mcprune-opt --component-tag %fixtures/concat_heads.linalg.mlir | FileCheck %s --check-prefix=LINALG
// RUN: %mcprune-opt --component-tag %fixtures/concat_heads.tosa.mlir | FileCheck %s --check-prefix=TOSA

// LINALG-DAG: linalg.matmul {mcprune.component = "trunk"}
// LINALG-DAG: linalg.matmul {mcprune.component = "left"}
// LINALG-DAG: linalg.matmul {mcprune.component = "right"}
// LINALG-DAG: linalg.matmul {mcprune.component = "head_a"}
// LINALG-DAG: linalg.matmul {mcprune.component = "head_b"}

// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "trunk"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "left"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "right"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "head_a"}
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "head_b"}
