export default function Home() {
  return <main><h1>Proofgrid</h1></main>;
}
