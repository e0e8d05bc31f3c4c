"""cocotb + pyuvm testbenches. Imports models/ and scoreboards/, never rtl/."""
