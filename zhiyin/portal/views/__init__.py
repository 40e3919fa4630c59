"""Portal pages, one module per purpose: `login`, `applications` (residents), `clerk`,
`register`."""
