#!/usr/bin/env perl
# ci/mutants.pl SEED FILE...: every single-point mutation of the engine's
# sources that ci/mutate knows, one per line, in an order fixed by SEED:
#
#   ID<TAB>FILE<TAB>LINE<TAB>KIND<TAB>ORIGINAL<TAB>MUTATED
#
# ORIGINAL and MUTATED are the whole source line (tabs and backslashes
# escaped as \t and \\). For `swap` MUTATED is the next line and the two
# lines trade places. Kinds:
#   cmp     a comparison flipped at its boundary: < <=, > >=, == !=
#   logic   && and || exchanged
#   drop    a call statement on one line removed (its value unused)
#   swap    two adjacent one-line statements at one indentation swapped
#           (not two plain stores that commute: see commuting_stores)
#   off1    an assigned length, size or count one more than it should be
# Lines that only check or trace (SIM_ASSERT*, SIM_CHECK, WARN_ON*, trace
# and tracepoint calls, coverage marks, model events the checkers hear,
# notes for a hang's report), fault-site declarations (their order only
# renumbers the swarm's draws) and `(void)x;` are left alone: mutating an
# assertion tests the assertion, not the checkers. So are comments,
# preprocessor lines and lines inside a block comment. The order is the
# MD5 of SEED and what the mutation changes (see add()), so it does not
# depend on the file system's order, on Perl's hash seed or on line numbers.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

my $seed = shift @ARGV;
die "usage: ci/mutants.pl SEED FILE...\n" unless defined $seed && @ARGV;

my @out;
sub esc { my $s = shift; $s =~ s/\\/\\\\/g; $s =~ s/\t/\\t/g; return $s; }
# A mutant's place in the order hangs on what it changes, not on its line
# number: its file, kind, the text of its line and the next (leading blanks
# trimmed) and which occurrence of that pair in the file it is. Adding a
# line elsewhere in a file leaves the order of the others alone, so runs on
# successive trees draw the same mutants where the code is the same.
my %seen;
sub add {
  my ($file, $line, $kind, $orig, $mut, $n) = @_;
  my $key = join("\x1f", $file, $kind, ($orig =~ s/^\s+//r), ($mut =~ s/^\s+//r), $n);
  my $occurrence = ++$seen{$key};
  my $id = "$file:$line:$kind:$n";
  push @out, [md5_hex("$seed/$key\x1f$occurrence"), join("\t", $id, $file, $line, $kind, esc($orig), esc($mut))];
}

# Two statements that only store to plain memory, with no call between
# them (so no scheduling point, no trace line, no model event), where
# neither names what the other stores to: swapping them is an equivalent
# mutant by construction (a fiber runs alone between scheduling points), so
# the generator does not produce it. What a statement stores to is the last
# name of its left-hand side (`wreq->len` stores to the member `len`): two
# stores through different pointers to the same member are taken as
# aliasing; a declaration `loff_t end = ...` stores to the local `end`. A
# local and a member of the same name are different things: `len -= part`
# and `sr.len = ...` commute when neither reads what the other writes.
my $pure_call = qr/\b(?:static_cast|reinterpret_cast|const_cast|std::min|std::max|sizeof)\b/;
sub stores_to {
  my $s = shift;
  $s =~ s{//.*$}{};
  return undef if ($s =~ s/$pure_call//gr) =~ /[A-Za-z_]\w*\s*(?:<[^;()]*>)?\s*\(/;  # a call
  return $1 if $s =~ /^\s*(?:\+\+|--)\s*(?:[\w.\->\[\]]*?)(\w+)\s*;\s*$/;
  return $1 if $s =~ /^\s*(?:[\w.\->\[\]*]*?)(\w+)\s*(?:\+\+|--)\s*;\s*$/;
  return $1 if $s =~ /^\s*(?:[\w.\->\[\]*]*?)(\w+)\s*(?:[-+*\/%&|^]|<<|>>)?=[^=]/;
  return $1 if $s =~ /^\s*(?:const\s+)?[A-Za-z_][\w:]*\s*[&*]*\s+[&*]*(\w+)\s*=[^=]/;  # a declaration: `loff_t end = ...`, `NetfsIoStream& s = ...`
  return undef;
}
# The names a statement mentions, members (`.len`, `->len`) apart from
# plain names (`len`): "m:len" and "v:len".
sub names_in {
  my $s = shift;
  $s =~ s{//.*$}{};
  my %n;
  while ($s =~ /(\.|->)?\s*\b([A-Za-z_]\w*)\b/g) { $n{(defined $1 ? 'm:' : 'v:') . $2} = 1; }
  return \%n;
}
# What a statement stores to, as names_in spells it: "m:len" or "v:end".
sub store_key {
  my $s = shift;
  my $w = stores_to($s);
  return undef unless defined $w;
  my $lhs = ($s =~ s{//.*$}{}r) =~ s/^\s*(?:\+\+|--)?//r;
  return ($lhs =~ /^(?:const\s+)?[A-Za-z_][\w:]*\s*[&*]*\s+[&*]*\w+\s*=[^=]/) ? "v:$w"
       : ($lhs =~ /^[\w\[\]*]*(?:\.|->)\S*?\b\Q$w\E\b/) ? "m:$w" : "v:$w";
}
sub commuting_stores {
  my ($a, $b) = @_;
  my ($wa, $wb) = (store_key($a), store_key($b));
  return 0 unless defined $wa && defined $wb;
  my ($ia, $ib) = (names_in($a), names_in($b));
  return !$ib->{$wa} && !$ia->{$wb};
}

my $skip = qr/^\s*\(void\)\w+;|WBSIM_FAULT_SITE|SIM_ASSERT|SIM_CHECK|WARN_ON|\btrace\w*\(|tracepoint|WBSIM_MARK|\bmark\(|mark_hit|MODEL_EVENT|push_note/;
my $stmt = qr/^\s*[A-Za-z_][\w:.\->]*(?:<[^;]*>)?\([^;]*\);\s*$/;

for my $file (sort @ARGV) {
  open(my $fh, '<', $file) or die "ci/mutants.pl: $file: $!\n";
  my @lines = <$fh>;
  close $fh;
  chomp @lines;
  my $in_comment = 0;
  my @plain;  # per line: a candidate for mutation at all
  for my $i (0 .. $#lines) {
    my $l = $lines[$i];
    my $ok = 1;
    if ($in_comment) { $ok = 0; $in_comment = 0 if $l =~ m{\*/}; }
    elsif ($l =~ m{^\s*/\*} && $l !~ m{\*/}) { $ok = 0; $in_comment = 1; }
    $ok = 0 if $l =~ m{^\s*(//|#|\*)} || $l =~ $skip || $l =~ /^\s*$/;
    push @plain, $ok;
  }
  for my $i (0 .. $#lines) {
    next unless $plain[$i];
    my $l = $lines[$i];
    my $code = $l; $code =~ s{//.*$}{};  # no mutation inside a trailing comment
    my $line = $i + 1;
    # cmp: binary comparisons written with spaces (templates are not).
    my %flip = ('<' => '<=', '<=' => '<', '>' => '>=', '>=' => '>', '==' => '!=', '!=' => '==');
    my $n = 0;
    while ($code =~ / (<=|>=|==|!=|<|>) /g) {
      my ($op, $at) = ($1, $-[1]);
      next if $op eq '<' && substr($code, 0, $at) =~ /<<\s*$/;
      my $m = $l; substr($m, $at, length $op) = $flip{$op};
      add($file, $line, 'cmp', $l, $m, $n++);
    }
    $n = 0;
    while ($code =~ / (&&|\|\|) /g) {
      my $m = $l; substr($m, $-[1], 2) = $1 eq '&&' ? '||' : '&&';
      add($file, $line, 'logic', $l, $m, $n++);
    }
    # drop: a whole call statement on this line, not a return, not a
    # declaration or assignment, parentheses balanced.
    if ($code =~ $stmt && $code !~ /^\s*(return|if|while|for|switch|case|else|do|delete|throw|co_)\b/
        && $code !~ /[^=!<>]=[^=]/ && ($code =~ tr/(//) == ($code =~ tr/)//)
        && $i > 0 && $lines[$i - 1] !~ /[,(=]\s*$|\b(if|else|for|while)\b[^;{]*$/) {
      (my $m = $l) =~ s/^(\s*).*$/$1;  \/\/ mutant: call dropped/;
      add($file, $line, 'drop', $l, $m, 0);
    }
    # swap with the next line: both one-line statements at the same
    # indentation, neither a declaration, a return or a jump.
    if ($i < $#lines && $plain[$i + 1]) {
      my $next = $lines[$i + 1];
      my ($ia) = $l =~ /^(\s*)/; my ($ib) = $next =~ /^(\s*)/;
      my $simple = sub {
        my $s = shift;
        return $s =~ /;\s*$/ && $s !~ /^\s*(return|break|continue|goto|case|default|const|auto|std::|[A-Z]\w*\s+\w+\s*[=({;])/
            && $s !~ /[{}]/ && $s !~ /^\s*(if|for|while|else)\b/ && ($s =~ tr/(//) == ($s =~ tr/)//);
      };
      if ($ia eq $ib && $simple->($l) && $simple->($next) && $l ne $next
          && $i > 0 && $lines[$i - 1] !~ /\b(if|else|for|while)\b[^;{]*$/
          && !commuting_stores($l, $next)) {
        add($file, $line, 'swap', $l, $next, 0);
      }
    }
    # off1: an assignment whose right side names a length, size or count.
    if ($code =~ /^(\s*[^=;(]*[^=!<>+\-*\/|&]=\s*)([^;=]*\b\w*(len|size|count|nr)\w*\b[^;=]*);\s*$/i
        && $code !~ /^\s*(if|for|while|return)\b/) {
      my ($lhs, $rhs) = ($1, $2);
      add($file, $line, 'off1', $l, "$lhs($rhs) + 1;", 0);
    }
  }
}
print $_->[1], "\n" for sort { $a->[0] cmp $b->[0] } @out;
