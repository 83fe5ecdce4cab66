# Reads an `lfm-compile --emit plan` listing; prints the totals line and, per
# layer kind (a conv layer launches gated_short_conv or short_conv, an
# attention layer attention), the layer count and most launches in one layer.
/^ *[0-9]+ L[0-9]+ / {
  n[$2]++
  if ($3 == "gated_short_conv" || $3 == "short_conv") kind[$2] = "conv"
  if ($3 == "attention") kind[$2] = "attention"
}
/totals/ { print }
END {
  for (l in n) {
    count[kind[l]]++
    if (n[l] > most[kind[l]]) most[kind[l]] = n[l]
  }
  for (k in count) print k " layers: " count[k] ", at most " most[k] " launches each"
}
