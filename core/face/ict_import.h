#pragma once
// Importer for the upstream ICT-FaceKit folder (FaceXModel/: generic_neutral_mesh.obj,
// identityNNN.obj, one OBJ per expression, vertex_indices.json, LICENSE) into a FaceModel, which
// save_f3dm then writes as F3DM v1. Torch-free.
//
// What it produces, checked against the shipped reference ict_facekit_full.f3dm:
//  - neutral_vertices, uvs (vt), faces/faces_uv with quads (a,b,c,d) split (a,b,c),(a,c,d);
//  - identity_basis[i] = identityNNN.obj - neutral. The upstream identity OBJs are the PCA modes
//    at +1 standard deviation (the reference basis equals the plain difference to float16
//    rounding, scale 1.000 on identity000/001), so coefficients are ~N(0,1);
//  - expression_basis[j] = <name>.obj - neutral, in the order of vertex_indices.json
//    "expressions" (the reference order);
//  - face_material: index in the usemtl order; face_part: the part of the polygon's first vertex
//    (parts are the fixed upstream vertex ranges); face_src_poly: the OBJ polygon index;
//  - landmarks68 from vertex_indices.json "idx_to_landmark_verts"; meta_json as the reference;
//    license_text from LICENSE in the folder (or its parent: the repository root).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/face/face_model.h"

namespace faceg2e::face {

struct IctImportOptions {
  // Identity modes the upstream model has (identity000 ... identity099). FaceKit README: 100.
  int expected_identity_modes = 100;
  // Called for each listed mode whose OBJ is missing, and other non-fatal findings.
  std::function<void(const std::string&)> warn;
  // Called after each OBJ is read: (files done, files total).
  std::function<void(int, int)> progress;
};

// Throws NotFoundError when the folder or a required file is missing, FormatError (naming the
// file, line and field) on malformed content or a topology that differs from the neutral mesh.
FaceModel import_ict_facekit(const std::filesystem::path& facexmodel_dir,
                             const IctImportOptions& options = {});

}  // namespace faceg2e::face
