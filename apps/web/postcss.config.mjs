// Tailwind CSS v4 through PostCSS: Next (Turbopack) runs this on every imported stylesheet.
export default {
  plugins: { "@tailwindcss/postcss": {} },
};
