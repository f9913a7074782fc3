# Reads `go test -bench Authenticated -benchmem` output and prints, per
# framework, wxlogin's ns/op (the session cookie, and the bearer token) as
# a fraction of the scs-default baseline of the same run, the bearer's as
# a multiple of the cookie's, and wxlogin's allocs/op. With -count N, each
# benchmark's fastest run counts: a shared machine only ever slows a run.
$1 ~ /^BenchmarkAuthenticated\// {
  split($1, p, "/"); sub(/-[0-9]+$/, "", p[3])
  k = p[2] "/" p[3]
  if (!(k in ns) || $3 + 0 < ns[k] + 0) ns[k] = $3
  al[k] = $7; fw[p[2]] = 1
}
END {
  for (f in fw) {
    printf "%-8s wxlogin/scs-default = %.3f (ns/op)  wxlogin allocs/op = %d\n", f, ns[f "/wxlogin"] / ns[f "/scs-default"], al[f "/wxlogin"]
    if (ns[f "/wxlogin-bearer"] > 0)
      printf "%-8s wxlogin-bearer/scs-default = %.3f  wxlogin-bearer/wxlogin = %.3f (ns/op)  wxlogin-bearer allocs/op = %d\n", f, ns[f "/wxlogin-bearer"] / ns[f "/scs-default"], ns[f "/wxlogin-bearer"] / ns[f "/wxlogin"], al[f "/wxlogin-bearer"]
  }
}
