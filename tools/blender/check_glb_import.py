# Imports a FaceG2E GLB into Blender (headless) and checks what an animator relies on: the shape
# keys carry the expected names, the material has an image texture, and jawOpen = 1 opens the
# jaw. Not part of ctest (Blender is large); run by hand:
#   blender -b --factory-startup --python tools/blender/check_glb_import.py -- export/face.glb
# Prints "blender glb check: OK" and exits 0, or prints what failed and exits 1.
import sys

import numpy

# Debian 12's Blender 3.4 importer uses numpy aliases that numpy 1.24 removed.
for _name, _type in (("bool", bool), ("int", int), ("float", float), ("object", object)):
    if not hasattr(numpy, _name):
        setattr(numpy, _name, _type)

import bpy  # noqa: E402

path = sys.argv[sys.argv.index("--") + 1]
expect_names = sys.argv[sys.argv.index("--") + 2] if len(sys.argv) > sys.argv.index("--") + 2 else "arkit"
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
failures = []
meshes = [o for o in bpy.context.scene.objects if o.type == "MESH"]
if len(meshes) != 1:
    failures.append(f"expected one mesh object, got {len(meshes)}")
obj = meshes[0]
keys = obj.data.shape_keys.key_blocks if obj.data.shape_keys else []
names = [k.name for k in keys]
print(f"object {obj.name}: {len(obj.data.vertices)} vertices, {len(names)} shape keys "
      f"(first: {names[:4]}), materials {[m.name for m in obj.data.materials]}")
if expect_names == "arkit":
    for n in ("jawOpen", "eyeBlinkLeft", "mouthSmileRight", "browInnerUp", "cheekPuff", "tongueOut"):
        if n not in names:
            failures.append(f"no shape key {n}")
    if len(names) != 53:  # Basis + 52
        failures.append(f"{len(names)} shape keys, expected Basis + 52")
images = [n.image for m in obj.data.materials if m and m.use_nodes
          for n in m.node_tree.nodes if n.type == "TEX_IMAGE" and n.image]
if not images:
    failures.append("no image texture in the materials")
else:
    print(f"texture {images[0].name}: {images[0].size[0]}x{images[0].size[1]}")

if "jawOpen" in names:
    for k in keys[1:]:
        k.value = 0.0
    dg = bpy.context.evaluated_depsgraph_get()
    before = [v.co.copy() for v in obj.evaluated_get(dg).to_mesh().vertices]
    keys["jawOpen"].value = 1.0
    dg = bpy.context.evaluated_depsgraph_get()
    dg.update()
    after = [v.co.copy() for v in obj.evaluated_get(dg).to_mesh().vertices]
    moved = [(a - b).length for a, b in zip(after, before)]
    biggest = max(moved)
    count = sum(1 for d in moved if d > 1e-4)
    print(f"jawOpen = 1: {count} vertices move more than 0.1 mm, the most by {biggest * 100:.2f} cm")
    if biggest < 0.005 or count < 500:
        failures.append("jawOpen does not open the jaw")

if failures:
    print("blender glb check: FAILED: " + "; ".join(failures))
    sys.exit(1)
print("blender glb check: OK")
