# Reads `go test -bench Authenticated -benchmem` output and prints, per
# framework, wxlogin's ns/op as a fraction of the scs-default baseline of
# the same run, and wxlogin's allocs/op.
$1 ~ /^BenchmarkAuthenticated\// {
  split($1, p, "/"); sub(/-[0-9]+$/, "", p[3])
  ns[p[2] "/" p[3]] = $3; al[p[2] "/" p[3]] = $7; fw[p[2]] = 1
}
END {
  for (f in fw) printf "%-8s wxlogin/scs-default = %.3f (ns/op)  wxlogin allocs/op = %d\n", f, ns[f "/wxlogin"] / ns[f "/scs-default"], al[f "/wxlogin"]
}
