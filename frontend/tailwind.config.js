/** Tailwind scans the templates (Django's and the Jinja2 ones) and the few Python files that build class names. */
module.exports = {
  content: ["../auroramart/**/templates/**/*.html", "../auroramart/jinja2/**/*.html", "../auroramart/**/*.py"],
  theme: {
    extend: {},
  },
  // The --tw-* defaults go on the elements whose utilities read them, not on every element and
  // pseudo-element (Tailwind 3 puts some forty custom properties on `*` otherwise): the style
  // pass of a product listing on a phone is that much shorter.
  experimental: { optimizeUniversalDefaults: true },
  plugins: [require("daisyui")],
  daisyui: {
    themes: [
      {
        aurora: {
          primary: "#3b3fb6",
          "primary-content": "#ffffff",
          secondary: "#0f766e",
          "secondary-content": "#ffffff",
          accent: "#b45309",
          "accent-content": "#ffffff",
          neutral: "#1f2937",
          "neutral-content": "#f9fafb",
          "base-100": "#ffffff",
          "base-200": "#f3f4f6",
          "base-300": "#e5e7eb",
          "base-content": "#111827",
          info: "#1d4ed8",
          success: "#15803d",
          warning: "#a16207",
          error: "#b91c1c",
          "error-content": "#ffffff",
          "success-content": "#ffffff",
          // No "pop" as every button and checkbox first appears: at 0.25 s it restyled each
          // one on every frame of a page's first quarter second on a phone's busy main thread.
          "--animation-btn": "0s",
          "--animation-input": "0s",
        },
      },
    ],
    logs: false,
  },
};
