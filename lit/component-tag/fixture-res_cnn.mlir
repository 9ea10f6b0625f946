// component-tag on the res_cnn exporter fixture: every component of
// reference.json is found, shown by a weight-bearing op of each.
// RUN: %mcprune-opt --component-tag %fixtures/res_cnn.linalg.mlir | FileCheck %s --check-prefix=LINALG
// RUN: %mcprune-opt --component-tag %fixtures/res_cnn.tosa.mlir | FileCheck %s --check-prefix=TOSA

// LINALG-DAG: linalg.conv_2d_nchw_fchw {{.*}}mcprune.component = "stem"
// LINALG-DAG: linalg.conv_2d_nchw_fchw {{.*}}mcprune.component = "body"
// LINALG-DAG: linalg.matmul {mcprune.component = "head"}

// TOSA-DAG: tosa.conv2d {{.*}}mcprune.component = "stem"
// TOSA-DAG: tosa.conv2d {{.*}}mcprune.component = "body"
// TOSA-DAG: tosa.matmul {{.*}} {mcprune.component = "head"}
