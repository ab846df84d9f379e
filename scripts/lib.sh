# Shell helpers the evaluation scripts share; source it: . scripts/lib.sh

# is_conditional RUN_OR_CHECKPOINT: succeeds when the run (its newest checkpoint's config.json) or the checkpoint
# was trained class-conditionally (model.classes > 0), so that eval fid is given --class-conditional.
is_conditional() {
  local config
  config=$(ls -d "$1"/config.json "$1"/checkpoints/step-*/config.json 2>/dev/null | tail -1)
  [ -n "$config" ] && grep -q '"classes" : [1-9]' "$config"
}
