# SPDX-License-Identifier: BSD-2-Clause
# Throughput relative to refserver, one cluster per scenario.
# Called by bench/run with datafile and outfile set.
set terminal pngcairo size 1100,500 noenhanced font "sans,10"
set output outfile
set title "Throughput relative to refserver (1.0 = one bare epoll loop on one core)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "ratio to refserver"
set yrange [0:*]
set grid ytics
set key outside right top
set xtics rotate by -20
plot for [col=2:*] datafile using col:xtic(1) title columnheader(col)
