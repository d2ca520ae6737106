import { defineEsdirkTableau, type EsdirkTableau } from './esdirk-tableau.js';

/**
 * Implicit (backward) Euler as a two-stage ESDIRK: `k_0 = f(t0, y0)`, `Y_1 = y0 + h·f(t1, Y_1)`;
 * the error estimate compares with explicit Euler (`h·(k_1 − k_0)`), as Diffrax's `ImplicitEuler`.
 */
export const IMPLICIT_EULER: EsdirkTableau = defineEsdirkTableau({
  name: 'implicit-euler',
  c: [0, 1],
  a: [[0], [0, 1]],
  b: [0, 1],
  bError: [-1, 1],
  // y0 + θh·k_1: damps stiff components like the step itself (Hermite through k_0 would not)
  dense: [[0], [1]],
  order: 1,
  errorOrder: 2,
  source: 'Hairer & Wanner, Solving ODEs II (1996), §IV.3; embedded explicit Euler as in Diffrax ImplicitEuler',
});

/** γ of Kværnø's 3(2) method: the root of `6γ³ − 18γ² + 9γ − 1 = 0` in (1/3, 1/2) (L-stability). */
const G3 = 0.435866521508459;

/**
 * Kværnø's ESDIRK 3(2), four stages, L-stable and stiffly accurate; the embedded 2nd-order
 * solution is the third stage value. A. Kværnø, "Singly diagonally implicit Runge–Kutta methods
 * with an explicit first stage", BIT 44 (2004) 489–502, doi:10.1023/B:BITN.0000046811.70614.38.
 */
export const KVAERNO3: EsdirkTableau = (() => {
  const g = G3;
  const a31 = (-4 * g * g + 6 * g - 1) / (4 * g);
  const a32 = (-2 * g + 1) / (4 * g);
  const a41 = (6 * g - 1) / (12 * g);
  const a42 = -1 / ((24 * g - 12) * g);
  const a43 = (-6 * g * g + 6 * g - 1) / (6 * g - 3);
  return defineEsdirkTableau({
    name: 'kvaerno3',
    c: [0, 2 * g, 1, 1],
    a: [[0], [g, g], [a31, a32, g], [a41, a42, a43, g]],
    b: [a41, a42, a43, g],
    bError: [a41 - a31, a42 - a32, a43 - g, g],
    // order 2 for every θ; bounded and stiff order 2 on stiff components (scripts/esdirk-dense.py)
    dense: [
      [0.9357138913564466, -0.88511196255795, 0.25820804117825064],
      [0.5011899413192781, 3.002425344890232, -2.0130518977877303],
      [0.45419061496506974, -4.063488238608023, 2.3740577437359676],
      [-0.8910944476407938, 1.946174856275741, -0.6192138871264888],
    ],
    order: 3,
    errorOrder: 3,
    source: 'Kværnø, BIT 44 (2004) 489–502, doi:10.1023/B:BITN.0000046811.70614.38 (coefficients in terms of γ)',
  });
})();

/**
 * Kværnø's ESDIRK 5(4), seven stages, L-stable and stiffly accurate (γ = 0.26); the embedded
 * 4th-order solution is the sixth stage value. Coefficients from Kværnø, BIT 44 (2004) 489–502,
 * doi:10.1023/B:BITN.0000046811.70614.38 (as tabulated to 17 digits in Diffrax's `Kvaerno5`).
 */
export const KVAERNO5: EsdirkTableau = (() => {
  const g = 0.26;
  const r6 = [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.6194303907248068];
  const r7 = [
    0.13659751177640292, 0, -0.05496908796538376, -0.04118626728321046, 0.629933048990164, 0.06962479448202728,
  ];
  const b = [...r7, g];
  return defineEsdirkTableau({
    name: 'kvaerno5',
    c: [0, 0.52, 1.230333209967908, 0.8957659843500759, 0.43639360985864756, 1, 1],
    a: [
      [0],
      [g, g],
      [0.13, 0.8403332099679081, g],
      [0.22371961478320504, 0.476755323197997, -0.06470895363112615, g],
      [0.16648564323248322, 0.1045001884159172, 0.03631482272098715, -0.13090704451073998, g],
      [...r6, g],
      b,
    ],
    b,
    bError: b.map((v, j) => v - (j < 5 ? (r6[j] as number) : j === 5 ? g : 0)),
    // order 3 for every θ; bounded and stiff order 3 on stiff components (scripts/esdirk-dense.py)
    dense: [
      [0.665366321946841, -0.639285282831765, -0.1541918859264239, 0.057881069621667385, 0.20682728896608318],
      [1.738725551364717, -3.8816658120968253, -0.03732013389749389, 0.47780656233661206, 1.7024538322929874],
      [0.911066275280423, -2.580429460841286, 1.5213989899874603, 0.019548940935390873, 0.07344616667263051],
      [-1.027555016383016, 2.5710448658279343, -2.525044569933902, 0.20172347519769077, 0.7386449780080817],
      [-0.32469394326480105, 2.022929407808168, 1.394110876253821, -0.5389433164884088, -1.9234699753186193],
      [-0.47033619351785727, 1.1659311076589192, 0.21567333509303663, -0.1970880384344849, -0.6445554163175874],
      [-0.492572995426307, 1.3414751744748508, -0.41462661157649583, -0.02092869316847295, -0.1533468743035744],
    ],
    order: 5,
    errorOrder: 5,
    source: 'Kværnø, BIT 44 (2004) 489–502, doi:10.1023/B:BITN.0000046811.70614.38',
  });
})();
