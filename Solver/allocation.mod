/* Bursar: the nightly allocation model, given the placement (GNU MathProg).

   glpsol --math Solver/allocation.mod -d Solver/small.dat

   One block per (cluster c, resource r); blocks share nothing, so this one LP is the sum of independent
   block LPs. The Swift allocator (Sources/Allocation/AllocationModel.swift) solves each block as the
   lexicographic sequence this weighted objective encodes (tier 2 first, then tier 3) with small GLPK
   LPs; W2 below is large enough that the two have the same unique optimum. Solver/README.md explains
   every line. Units: vcore in cores, memory in GiB, other resources in their own unit. */

set C;                                   # clusters
set R;                                   # resources
set Q;                                   # leaf queues root.<org>.<project>.tier<N>, each on one cluster

param cluster{Q} symbolic in C;          # where the placement put the queue
param tier{Q} integer, >= 1, <= 3;
param d{Q, R} >= 0;                      # demand: tier percentile of hourly usage x headroom
param g0{Q, R} >= 0, default 0;          # last night's guaranteed on this cluster (0: new or moved here)
param K{C, R} >= 0;                      # usable capacity: capacity minus the onboarding reserve
param cap{C, R} >= 0;                    # capacity (bounds max)
param m >= 0;                            # max_change_fraction
param phi >= 0, <= 1;                    # tier3_floor
param burst >= 1;                        # max_burst

/* Change limits (hysteresis) around last night's guaranteed, and the target they clamp demand to. */
param lo0{q in Q, r in R} := if g0[q,r] > 0 then g0[q,r] * max(0, 1 - m) else 0;
param hi0{q in Q, r in R} := if g0[q,r] > 0 then g0[q,r] * (1 + m) else d[q,r];
param tau0{q in Q, r in R} := min(max(d[q,r], lo0[q,r]), hi0[q,r]);

/* What must fit: tier 1 its target, tier 2 its lower limit, tier 3 the larger of its lower limit and floor.
   When that exceeds the usable capacity, the block drops its change limits (the relaxation is reported). */
param need{c in C, r in R} :=
      sum{q in Q: cluster[q] = c and tier[q] = 1} tau0[q,r]
    + sum{q in Q: cluster[q] = c and tier[q] = 2} lo0[q,r]
    + sum{q in Q: cluster[q] = c and tier[q] = 3} max(lo0[q,r], phi * tau0[q,r]);
param relaxed{c in C, r in R} := if need[c,r] > K[c,r] + 1e-9 * max(1, K[c,r]) then 1 else 0;
param lo{q in Q, r in R} := if relaxed[cluster[q], r] then 0 else lo0[q,r];
param tau{q in Q, r in R} := if relaxed[cluster[q], r] then d[q,r] else tau0[q,r];

/* Tier 2 before tier 3: moving capacity from tier 2 to tier 3 lowers k2 by at least x/T2 and raises k3
   by at most x/tmin3, so any W2 > T2/tmin3 makes tier 2 win. */
param T2{c in C, r in R} := sum{q in Q: cluster[q] = c and tier[q] = 2} tau[q,r];
param tmin3{c in C, r in R} :=
    if card({q in Q: cluster[q] = c and tier[q] = 3 and tau[q,r] > 0}) > 0
    then min{q in Q: cluster[q] = c and tier[q] = 3 and tau[q,r] > 0} tau[q,r] else 1;
param W2{c in C, r in R} := 1 + 2 * T2[c,r] / tmin3[c,r];

var g{q in Q, r in R} >= lo[q,r], <= tau[q,r];   # guaranteed
var k2{C, R} >= 0, <= 1;                          # tier-2 coverage level
var k3{C, R} >= phi, <= 1;                        # tier-3 coverage level, at least the floor
var gap{C, R} >= 0;                               # coverage gap between the high tiers and tier 3

s.t. capacity{c in C, r in R}: sum{q in Q: cluster[q] = c} g[q,r] <= K[c,r];
s.t. tier1{q in Q, r in R: tier[q] = 1}: g[q,r] >= tau[q,r];
s.t. share2{q in Q, r in R: tier[q] = 2}: g[q,r] >= k2[cluster[q], r] * tau[q,r];
s.t. share3{q in Q, r in R: tier[q] = 3}: g[q,r] >= k3[cluster[q], r] * tau[q,r];
s.t. gap1{c in C, r in R}: gap[c,r] >= 1 - k3[c,r];          # tier-1 coverage is 1
s.t. gap2{c in C, r in R}: gap[c,r] >= k2[c,r] - k3[c,r];

minimize shortfall: sum{c in C, r in R} (W2[c,r] * (1 - k2[c,r]) + gap[c,r]);

solve;

/* One line per queue and resource: guaranteed and max = min(capacity, burst x guaranteed). */
printf{q in Q, r in R}: "alloc|%s|%s|%s|%.12g|%.12g\n", q, r, cluster[q], g[q,r],
    min(cap[cluster[q], r], burst * g[q,r]);
printf{c in C, r in R: relaxed[c,r]}: "relaxed|%s|%s\n", c, r;

end;
